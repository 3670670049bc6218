/** Zip archives as `.npz` files use them: members written stored, read stored or deflated. */
import { inflateRaw } from "./_inflate.ts";

const LOCAL = 0x04034b50, CENTRAL = 0x02014b50, END = 0x06054b50;
const END64 = 0x06064b50, LOCATOR64 = 0x07064b50;
const UTF8_NAMES = 0x0800;
// 1980-01-01 00:00, the earliest date a zip holds: the same arrays give the same bytes.
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** The CRC-32 of `data` (the zip and PNG checksum), as an unsigned number. */
export function crc32(data: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** A zip archive of `members` (name, bytes), each stored without compression. */
export function zipStored(op: string, members: readonly [string, Uint8Array][]): Uint8Array {
  const enc = new TextEncoder();
  const names = members.map(([n]) => enc.encode(n));
  let size = 22;
  members.forEach(([, d], i) => (size += 30 + 46 + 2 * names[i].length + d.length));
  if (size > 0xffffffff || members.length > 0xffff) {
    throw new RangeError(
      `${op}: the archive would be ${size} bytes in ${members.length} members, beyond what a ` +
        `zip without zip64 records holds (4 GiB, 65535 members): save fewer arrays per file`,
    );
  }
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  const offsets: number[] = [], crcs: number[] = [];
  let at = 0;
  const header = (i: number, central: boolean) => {
    const [name, data] = [names[i], members[i][1]];
    const flags = names[i].length !== members[i][0].length ? UTF8_NAMES : 0;
    v.setUint32(at, central ? CENTRAL : LOCAL, true);
    at += 4;
    if (central) {
      v.setUint16(at, 20, true); // made by: version 2.0
      at += 2;
    }
    v.setUint16(at, 20, true); // needed: version 2.0
    v.setUint16(at + 2, flags, true);
    v.setUint16(at + 4, 0, true); // stored
    v.setUint16(at + 6, 0, true); // time
    v.setUint16(at + 8, DOS_DATE, true);
    v.setUint32(at + 10, crcs[i], true);
    v.setUint32(at + 14, data.length, true);
    v.setUint32(at + 18, data.length, true);
    v.setUint16(at + 22, name.length, true);
    v.setUint16(at + 24, 0, true); // extra field length
    at += 26;
    if (central) {
      // Comment length, disk, internal and external attributes (zeros), local header offset.
      v.setUint32(at + 10, offsets[i], true);
      at += 14;
    }
    out.set(name, at);
    at += name.length;
  };
  members.forEach(([, data], i) => {
    offsets.push(at);
    crcs.push(crc32(data));
    header(i, false);
    out.set(data, at);
    at += data.length;
  });
  const central = at;
  members.forEach((_, i) => header(i, true));
  v.setUint32(at, END, true);
  v.setUint16(at + 8, members.length, true);
  v.setUint16(at + 10, members.length, true);
  v.setUint32(at + 12, at - central, true);
  v.setUint32(at + 16, central, true);
  return out;
}

/** The members of the zip archive `b`, decompressed and checked against their CRC-32. */
export function unzip(op: string, b: Uint8Array): { name: string; data: Uint8Array }[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let end = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
    if (v.getUint32(i, true) === END) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    throw new Error(
      `${op}: not a zip archive (no end-of-central-directory record)` +
        (b[0] === 0x93 ? ": it is a .npy file: read it with fromNpy" : ""),
    );
  }
  let count = v.getUint16(end + 10, true);
  let at = v.getUint32(end + 16, true);
  if (
    (count === 0xffff || at === 0xffffffff) && end >= 20 &&
    v.getUint32(end - 20, true) === LOCATOR64
  ) {
    const end64 = Number(v.getBigUint64(end - 12, true));
    if (end64 + 56 > b.length || v.getUint32(end64, true) !== END64) {
      throw new Error(`${op}: the zip64 end record is missing or damaged`);
    }
    count = Number(v.getBigUint64(end64 + 32, true));
    at = Number(v.getBigUint64(end64 + 48, true));
  }
  const members: { name: string; data: Uint8Array }[] = [];
  const dec = new TextDecoder();
  for (let k = 0; k < count; k++) {
    if (at + 46 > b.length || v.getUint32(at, true) !== CENTRAL) {
      throw new Error(`${op}: the zip's central directory is damaged at entry ${k}`);
    }
    const flags = v.getUint16(at + 8, true), method = v.getUint16(at + 10, true);
    const crc = v.getUint32(at + 16, true);
    let csize = v.getUint32(at + 20, true), usize = v.getUint32(at + 24, true);
    const nameLen = v.getUint16(at + 28, true), extraLen = v.getUint16(at + 30, true);
    const commentLen = v.getUint16(at + 32, true);
    let local = v.getUint32(at + 42, true);
    const name = dec.decode(b.subarray(at + 46, at + 46 + nameLen));
    // Sizes and offset too large for 32 bits are in the zip64 extra field, in this order.
    const extra = at + 46 + nameLen;
    for (let e = extra; e + 4 <= extra + extraLen;) {
      const id = v.getUint16(e, true), len = v.getUint16(e + 2, true);
      if (id === 1) {
        let f = e + 4;
        const next = () => Number(v.getBigUint64((f += 8) - 8, true));
        if (usize === 0xffffffff) usize = next();
        if (csize === 0xffffffff) csize = next();
        if (local === 0xffffffff) local = next();
      }
      e += 4 + len;
    }
    at = extra + extraLen + commentLen;
    if (flags & 1) throw new Error(`${op}: member '${name}' is encrypted`);
    if (local + 30 > b.length || v.getUint32(local, true) !== LOCAL) {
      throw new Error(`${op}: member '${name}''s local header is missing: the file is damaged`);
    }
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    if (start + csize > b.length) {
      throw new Error(`${op}: member '${name}' runs past the end of the file: it is truncated`);
    }
    const raw = b.subarray(start, start + csize);
    let data: Uint8Array;
    if (method === 0) {
      if (usize !== csize) {
        throw new Error(`${op}: member '${name}''s sizes disagree: the file is damaged`);
      }
      data = raw;
    } else if (method === 8) data = inflateRaw(raw, usize);
    else {
      throw new Error(
        `${op}: member '${name}' uses compression method ${method}; only stored (0) and ` +
          `deflate (8), what numpy writes, are read`,
      );
    }
    if (crc32(data) !== crc) {
      throw new Error(`${op}: member '${name}' fails its CRC-32 check: the file is damaged`);
    }
    members.push({ name, data });
  }
  return members;
}
