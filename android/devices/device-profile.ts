/**
 * An emulated Android device: what the AVD is created with. Checked by the model rules
 * (constructs/model/rules-android.ts): a known ABI that KVM accelerates, an API level
 * with a system image, and at least the RAM that API level requires.
 */
export interface DeviceProfile {
  /** The profile's name, a DNS-1123 label (`pixel-6-api-34`); it labels the Job and the metrics. */
  readonly name: string;
  /** Android API level of the system image (34 is Android 14). */
  readonly apiLevel: number;
  /** The system image's ABI: `x86_64` (or `x86` up to API 30) on KVM nodes. */
  readonly abi: 'x86' | 'x86_64' | 'armeabi-v7a' | 'arm64-v8a';
  /** RAM of the emulated device in MiB (the AVD's hw.ramSize). */
  readonly ramMb: number;
  /** Virtual CPU cores (hw.cpu.ncore). */
  readonly cores: number;
  /** The screen: size in pixels and density in dpi (hw.lcd.width, hw.lcd.height, hw.lcd.density). */
  readonly screen: {
    /** Width in pixels. */
    readonly widthPx: number;
    /** Height in pixels. */
    readonly heightPx: number;
    /** Density in dots per inch. */
    readonly densityDpi: number;
  };
}
