// Driver strings are bytes: how kdemu turns them into report text.

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 when the bytes are valid UTF-8 (gcc's and clang's default source encoding), else each byte as Latin-1. */
export function decodeBytes(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    let s = '';
    for (const c of b) s += String.fromCharCode(c);
    return s;
  }
}
