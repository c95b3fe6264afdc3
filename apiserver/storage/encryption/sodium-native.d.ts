// The few libsodium bindings of sodium-native (which ships no types) that the secretbox
// provider calls, as its README documents them.
declare module 'sodium-native' {
  interface Sodium {
    readonly crypto_secretbox_KEYBYTES: number;
    readonly crypto_secretbox_NONCEBYTES: number;
    readonly crypto_secretbox_MACBYTES: number;
    /** Seals `m` into `c` (m.length + MACBYTES bytes). */
    crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
    /** Opens `c` into `m` (c.length - MACBYTES bytes); false when it does not authenticate. */
    crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
  }
  const sodium: Sodium;
  export default sodium;
}
