/** The device profiles benchmarks run on. Add a profile as one file here. */
export type { DeviceProfile } from './device-profile.ts';
export { PIXEL_4A_API_30 } from './pixel-4a.ts';
export { PIXEL_6_API_34 } from './pixel-6.ts';
