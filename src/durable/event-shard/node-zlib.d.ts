/**
 * The two node:zlib calls body.ts makes, as workerd provides them under nodejs_compat. Declared
 * here rather than by loading @types/node, whose globals (Buffer, timers) would claim the whole
 * project is Node.
 */
declare module "node:zlib" {
  export function deflateRawSync(data: Uint8Array): Uint8Array;
  export function inflateRawSync(data: Uint8Array): Uint8Array;
}
