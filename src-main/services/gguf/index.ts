export { GgufFormatError } from "./ggufFormatError.js";
export {
  bitsPerWeight,
  bytesForElements,
  ggmlTypeById,
  ggmlTypeByName,
  ggmlTypes,
  resolveGgmlType,
  type GgmlTypeInfo,
} from "./ggmlTypes.js";
export {
  llamaFileTypeById,
  llamaFileTypeByName,
  llamaFileTypes,
  type LlamaFileTypeInfo,
} from "./llamaFileTypes.js";
export {
  ggufValue,
  type GgufArrayValue,
  type GgufScalarType,
  type GgufScalarValue,
  type GgufValue,
  type GgufValueType,
} from "./ggufValues.js";
export { metaArray, metaBool, metaNumber, metaString, type GgufMetadata } from "./ggufMetadata.js";
export {
  defaultReadLimits,
  type GgufFile,
  type GgufReadLimits,
  type GgufTensorInfo,
} from "./ggufFile.js";
export { readGgufFile, type ReadGgufOptions } from "./ggufReader.js";
export { parseGgufBuffer } from "./parseGgufHeader.js";
export { writeGgufFile, type WriteGgufOptions, type WrittenGguf } from "./ggufWriter.js";
export type { GgufMetadataInput, GgufTensorSpec, TensorData } from "./planGgufLayout.js";
export { rewriteGgufMetadata, type MetadataEdit } from "./rewriteGgufMetadata.js";
export {
  float16BitsToFloat32,
  float16BufferToFloat32,
  float32ToFloat16Bits,
  float32ToFloat16Buffer,
} from "./float16.js";
export { summarizeModel, type ModelSummary, type TensorTypeStats } from "./modelSummary.js";
export { validateModel } from "./validateModel.js";
export type { ModelProblem, ModelProblemCode, ModelValidation } from "./modelProblems.js";
export { isKnownTokenizer } from "./knownTokenizers.js";
export {
  writeTinyModel,
  type TinyModel,
  type TinyModelOptions,
  type TinyModelSettings,
} from "./tinyModel.js";
