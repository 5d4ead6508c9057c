//! A bounds-checked cursor over received bytes that knows its offset, so every error can say where.
//! Every read either returns the bytes asked for or `None`; nothing here can read past the end.

#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, offset: 0 }
    }

    /// Offset of the next unread byte from the start of the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.offset
    }

    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.offset..]
    }

    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.offset.checked_add(n)?;
        let out = self.bytes.get(self.offset..end)?;
        self.offset = end;
        Some(out)
    }

    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|s| s.try_into().ok())
    }

    pub fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    pub fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }

    pub fn peek(&self) -> Option<u8> {
        self.bytes.get(self.offset).copied()
    }
}

/// Wire pieces with one fixed layout: `encode` appends, `read` consumes exactly that layout.
pub trait Codec<'a>: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn read(r: &mut Reader<'a>) -> Option<Self>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), Some(0x0102));
        assert_eq!(r.offset(), 2);
        assert_eq!(r.u16(), None);
        assert_eq!(r.take(usize::MAX), None);
        assert_eq!(r.u8(), Some(3));
        assert_eq!(r.remaining(), 0);
        assert_eq!(r.peek(), None);
    }
}
