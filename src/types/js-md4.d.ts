// js-md4 ships no types; we use only its hex and raw digests.
declare module 'js-md4' {
  const md4: { hex(data: Uint8Array | string): string; arrayBuffer(data: Uint8Array): ArrayBuffer };
  export default md4;
}
