import type { DeviceProfile } from './device-profile.ts';

/** A Pixel 4a class phone on Android 11: the older, smaller device the models must still run on. */
export const PIXEL_4A_API_30: DeviceProfile = {
  name: 'pixel-4a-api-30',
  apiLevel: 30,
  abi: 'x86_64',
  ramMb: 3072,
  cores: 2,
  screen: { widthPx: 1080, heightPx: 2340, densityDpi: 440 },
};
