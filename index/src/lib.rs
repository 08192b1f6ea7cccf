//! memspine-index: the vector arena and its SIMD kernels, the lexical (BM25) index and embedders.
#![warn(missing_docs)]
