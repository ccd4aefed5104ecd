/**
 * What every kernel build decides without a configuration file (data).
 */

/**
 * The compilers' operating-system macros, each with the macros only that system has: a build
 * targets one system, so once one of them is defined (`__linux__` by default:
 * `lockscope.defines`), the others and their companions are not. A FreeBSD port of a Linux
 * driver (drm-kmod) keeps `#ifdef __FreeBSD__` arms; read as Linux code they go.
 */
export const TARGET_OS_MACROS: readonly (readonly string[])[] = [
  ['__linux__', '__linux', 'linux'],
  ['__FreeBSD__', '__FreeBSD_version', '__FreeBSD_kernel__'],
  ['__NetBSD__', '__NetBSD_Version__'],
  ['__OpenBSD__'],
  ['__DragonFly__'],
  ['__APPLE__', '__MACH__'],
  ['_WIN32', '_WIN64', '_MSC_VER', '__CYGWIN__', '__MINGW32__'],
  ['__sun'],
];

/** Undefined in any kernel C compilation: other tools' and languages' passes over the same headers. */
export const NEVER_IN_KERNEL_C: readonly string[] = [
  '__ASSEMBLY__',
  '__ASSEMBLER__',
  '__CHECKER__',
  '__GENKSYMS__',
  '__cplusplus',
];

/** LINUX_VERSION_CODE when no kernel version is known: newer than any, so the newest arm counts. */
export const NEWEST_KERNEL = { text: 'newest', code: kernelVersionCode(255, 255, 255) };

export function kernelVersionCode(a: number, b: number, c: number): number {
  return a * 65536 + b * 256 + Math.min(c, 255);
}

/** `6.4`, `6.4.0`, `v6.8.12-rc1`: the version code, or undefined when it is not a version. */
export function parseKernelVersion(text: string): number | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+~].*)?$/.exec(text.trim());
  if (!m) return undefined;
  return kernelVersionCode(Number(m[1]), Number(m[2]), Number(m[3] ?? 0));
}
