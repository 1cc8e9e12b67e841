/**
 * What the Kronodroid pipelines share: their images and the Secret references of the
 * lakeFS and MinIO credentials (by reference only; no value ever reaches dist/).
 */
export const IMAGES = {
  lakefs: 'registry.dfp.internal/dfp/lakefs-tools:1.2.0',
  train: 'registry.dfp.internal/dfp/kronodroid-train:0.3.1',
  export: 'registry.dfp.internal/dfp/executorch-export:0.5.0',
  emulator: 'registry.dfp.internal/dfp/android-emulator:34-x86_64-1.2.0',
};

export const LAKEFS_CREDENTIALS = {
  LAKEFS_ACCESS_KEY_ID: { secret: 'lakefs-credentials', key: 'access_key_id' },
  LAKEFS_SECRET_ACCESS_KEY: { secret: 'lakefs-credentials', key: 'secret_access_key' },
};

export const S3_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: { secret: 'minio-credentials', key: 'accesskey' },
  AWS_SECRET_ACCESS_KEY: { secret: 'minio-credentials', key: 'secretkey' },
};
