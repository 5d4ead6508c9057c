//! The one error shape every decoder here returns: where (byte offset) and which rule (with the
//! section of the spec, or of docs/spec-notes.md, that states it).

use std::fmt;

/// A rule of the wire format. `name` is a stable machine-readable kind (vectors and JSON output use
/// it); `section` is where the rule is written down.
pub trait Rule: fmt::Display + fmt::Debug + Clone + PartialEq {
    fn name(&self) -> &'static str;
    fn section(&self) -> &'static str;
}

/// A broken rule at a byte offset of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError<K> {
    pub offset: usize,
    pub kind: K,
}

impl<K: Rule> DecodeError<K> {
    pub fn new(offset: usize, kind: K) -> Self {
        DecodeError { offset, kind }
    }
}

impl<K: Rule> fmt::Display for DecodeError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "offset {}: {} ({})",
            self.offset,
            self.kind,
            self.kind.section()
        )
    }
}

impl<K: Rule> std::error::Error for DecodeError<K> {}
