import type { DeviceProfile } from './device-profile.ts';

/** A Pixel 6 class phone on Android 14: the platform's reference device. */
export const PIXEL_6_API_34: DeviceProfile = {
  name: 'pixel-6-api-34',
  apiLevel: 34,
  abi: 'x86_64',
  ramMb: 4096,
  cores: 4,
  screen: { widthPx: 1080, heightPx: 2400, densityDpi: 420 },
};
