// js-md4 ships no types; we use only its hex digest.
declare module 'js-md4' {
  const md4: { hex(data: Uint8Array | string): string };
  export default md4;
}
