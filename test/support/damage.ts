/**
 * Ways a cache file holding one checksummed entry (engine/entry-file.ts) can be damaged on disk:
 * each rewrites `file` from `good`, the bytes a scan wrote. Every one must be detected.
 */
import * as fs from 'node:fs';

export function envelopeDamages(file: string, good: Buffer): [string, () => void][] {
  return [
    [
      'a flipped byte',
      () => {
        const bytes = Buffer.from(good);
        bytes[bytes.length - 30] ^= 0x01;
        fs.writeFileSync(file, bytes);
      },
    ],
    ['truncated', () => fs.writeFileSync(file, good.subarray(0, Math.floor(good.length / 2)))],
    ['a missing newline', () => fs.writeFileSync(file, good.subarray(0, good.length - 1))],
    ['empty', () => fs.writeFileSync(file, '')],
    [
      'garbage',
      () => fs.writeFileSync(file, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256))),
    ],
    ['header only', () => fs.writeFileSync(file, good.subarray(0, good.indexOf(0x0a, 12) + 1))],
  ];
}
