// Public API of the PE loader: parse, classify, map, relocate and bind PE32/PE32+ images.
export { PeFormatError } from './errors.js';
export { parsePe } from './parse.js';
export { imageKind, type ImageKind } from './kind.js';
export { mapImage, needsPreferredBase, imageRegions, sectionProt } from './map.js';
export { bindImports, ImportTable, type ImportModule, type ImportRequest } from './imports.js';
export { applyRelocations, forEachRelocation, relocationTypeName, type RelocationVisitor } from './relocate.js';
export { rvaToOffset, readCString } from './rva.js';
export * as limits from './limits.js';
export * from './types.js';
