/**
 * A cache file holding one checksummed entry: the analysis result and the analysis memo are
 * each stored this way next to the workspace's facts pack.
 *
 *   <magic line>\n
 *   <key> <sha256 of payload> <payload bytes>\n
 *   <payload>\n
 *
 * Nothing read is trusted: another key is a plain miss; a wrong magic, size or checksum is
 * damage, reported by the caller and replaced by a fresh entry. Writes go to a fresh temporary
 * file in the cache folder (`wx`) renamed over the old one. Nothing throws.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';

/** `<key> <sha256 of payload> <payload bytes>`: also the header of each entry in the facts pack. */
export const ENTRY_HEADER_RE = /^([0-9a-f]{64}) ([0-9a-f]{64}) (\d{1,10})$/;
export const ENTRY_HEADER_MAX = 160;

export type EntryRead = { payload?: Buffer; problem?: string; damaged?: boolean };

/**
 * The payload stored in `file` under `key`. `problem` says why an entry that was there could not
 * be used; `damaged` marks a file that is ours by name but not by content. A missing file or
 * another key is a plain miss.
 */
export function readEntry(file: string, magic: string, key: string, maxBytes: number): EntryRead {
  let buf: Buffer;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return {};
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { problem: `${file} is not a file` };
    if (st.size > maxBytes) return { problem: `${file} is too large` };
    buf = fs.readFileSync(fd);
  } catch (e) {
    return { problem: `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      // closing a descriptor we opened cannot meaningfully fail here
    }
  }
  const damaged = { damaged: true };
  if (buf.toString('latin1', 0, magic.length) !== magic) return damaged;
  const nl = buf.subarray(magic.length, magic.length + ENTRY_HEADER_MAX).indexOf(0x0a);
  const m = nl > 0 ? ENTRY_HEADER_RE.exec(buf.toString('latin1', magic.length, magic.length + nl)) : null;
  if (!m) return damaged;
  if (m[1] !== key) return {};
  const start = magic.length + nl + 1;
  const bytes = Number(m[3]);
  if (start + bytes + 1 !== buf.length || buf[start + bytes] !== 0x0a) return damaged;
  const payload = buf.subarray(start, start + bytes);
  if (createHash('sha256').update(payload).digest('hex') !== m[2]) return damaged;
  const now = new Date();
  try {
    fs.utimesSync(file, now, now); // in use: keep it through the cache sweep
  } catch {
    // replaced or removed meanwhile: the entry read is still good
  }
  return { payload };
}

/** Stores `body` under `key`, replacing the file atomically. Returns a problem, or undefined. */
export function writeEntry(file: string, magic: string, key: string, body: Buffer): string | undefined {
  const sum = createHash('sha256').update(body).digest('hex');
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    for (const b of [
      Buffer.from(`${magic}${key} ${sum} ${body.length}\n`, 'latin1'),
      body,
      Buffer.from('\n'),
    ]) {
      let off = 0;
      while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
    }
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
    return undefined;
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // ignore: the file is removed next
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created
    }
    return `cannot write ${file}: ${e instanceof Error ? e.message : String(e)}`;
  }
}
