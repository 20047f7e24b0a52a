//! Typed failures of the photo pipeline (照片处理错误).
//!
//! Every way a hostile or broken file can fail maps to one variant with a stable machine code
//! (`code()`), so the phone UI and the server's JSON error body can both key on it, and a
//! bilingual message ("中文 / English") for people. Messages never echo file content.

/// Why a photo could not be processed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhotoError {
    /// The bytes are not a JPEG, PNG or WebP (or, on the server, not a JPEG).
    #[error(
        "不支持的图片格式（仅支持 JPEG、PNG、WebP）/ Unsupported image format (JPEG, PNG or WebP only)"
    )]
    Unsupported,
    /// The file ends before the image data does.
    #[error("图片文件不完整（被截断）/ Image file is truncated")]
    Truncated,
    /// The file is larger than the configured byte limit.
    #[error(
        "图片文件过大：{bytes} 字节，上限 {max} 字节 / Image file too large: {bytes} bytes, limit {max}"
    )]
    TooLarge {
        /// Size of the input.
        bytes: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The header declares more pixels than allowed (a decompression bomb, or a huge scan).
    #[error(
        "图片像素过多：{width}×{height}，上限 {max} 像素 / Image has too many pixels: {width}×{height}, limit {max}"
    )]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The configured maximum number of pixels.
        max: u64,
    },
    /// The header says zero width or height.
    #[error("图片尺寸无效：{width}×{height} / Invalid image dimensions: {width}×{height}")]
    BadDimensions {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
    },
    /// The data is malformed; the detail is for logs, in English, and never contains file bytes.
    #[error("图片数据损坏 / Corrupt image data: {0}")]
    Corrupt(String),
    /// Decoding took longer than the configured limit.
    #[error("图片处理超时 / Image processing timed out")]
    Timeout,
    /// Even the smallest allowed encoding does not fit in the byte budget.
    #[error("无法将照片压缩到 {max} 字节以内 / Cannot compress the photo below {max} bytes")]
    OverBudget {
        /// The byte budget.
        max: usize,
    },
    /// A bug in a decoder was caught (a panic turned into an error); the input is rejected.
    #[error("图片解码器内部错误 / Internal decoder error")]
    Internal,
}

impl PhotoError {
    /// A stable snake_case code for logs, JSON error bodies and UI lookups.
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::Unsupported => "photo_unsupported",
            PhotoError::Truncated => "photo_truncated",
            PhotoError::TooLarge { .. } => "photo_too_large",
            PhotoError::TooManyPixels { .. } => "photo_too_many_pixels",
            PhotoError::BadDimensions { .. } => "photo_bad_dimensions",
            PhotoError::Corrupt(_) => "photo_corrupt",
            PhotoError::Timeout => "photo_timeout",
            PhotoError::OverBudget { .. } => "photo_over_budget",
            PhotoError::Internal => "photo_internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_messages_bilingual() {
        let all = [
            PhotoError::Unsupported,
            PhotoError::Truncated,
            PhotoError::TooLarge { bytes: 2, max: 1 },
            PhotoError::TooManyPixels {
                width: 1,
                height: 1,
                max: 0,
            },
            PhotoError::BadDimensions {
                width: 0,
                height: 0,
            },
            PhotoError::Corrupt("x".into()),
            PhotoError::Timeout,
            PhotoError::OverBudget { max: 1 },
            PhotoError::Internal,
        ];
        let mut codes: Vec<_> = all.iter().map(PhotoError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        for e in &all {
            let m = e.to_string();
            assert!(m.contains("/ "), "{m}");
            assert!(!m.is_ascii(), "no Chinese in {m}");
        }
    }
}
