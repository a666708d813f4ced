//! The protobuf wire format: a cursor over a message's bytes that yields `(field number, value)`
//! pairs. It knows nothing of schemas; `super` gives the values their meaning.

use super::{ProtobufError, Result};

/// One field's raw value, as the wire type encodes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum WireValue<'a> {
    /// Wire type 0: int32, int64, bool (and enums, which Kubernetes does not use).
    Varint(u64),
    /// Wire type 1: double, fixed64.
    Fixed64(u64),
    /// Wire type 2: strings, bytes, embedded messages, map entries and packed repeated scalars.
    Len(&'a [u8]),
    /// Wire type 5: float, fixed32.
    Fixed32(u32),
}

impl WireValue<'_> {
    /// The wire type's name, for error messages.
    pub(super) fn wire_type(&self) -> &'static str {
        match self {
            WireValue::Varint(_) => "varint",
            WireValue::Fixed64(_) => "64-bit",
            WireValue::Len(_) => "length-delimited",
            WireValue::Fixed32(_) => "32-bit",
        }
    }
}

/// A cursor over the bytes of one message. Every read checks the remaining length, so a
/// malformed body yields an error and never a panic.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// Reads the next field, or `None` at the end of the message.
    pub(super) fn next_field(&mut self) -> Result<Option<(u32, WireValue<'a>)>> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = key >> 3;
        if number == 0 || number > u64::from(u32::MAX) {
            return Err(ProtobufError::InvalidFieldNumber(number));
        }
        // The range check above makes the conversion lossless.
        let number = number as u32;
        let value = match key & 7 {
            0 => WireValue::Varint(self.varint()?),
            1 => WireValue::Fixed64(u64::from_le_bytes(self.take_array()?)),
            2 => {
                let len = self.varint()?;
                let len = usize::try_from(len)
                    .ok()
                    .filter(|&len| len <= self.buf.len())
                    .ok_or(ProtobufError::LengthPastEnd {
                        len,
                        remaining: self.buf.len(),
                    })?;
                let (bytes, rest) = self.buf.split_at(len);
                self.buf = rest;
                WireValue::Len(bytes)
            }
            5 => WireValue::Fixed32(u32::from_le_bytes(self.take_array()?)),
            // 3 and 4 are the deprecated groups, 6 and 7 are not defined; Kubernetes uses none.
            other => return Err(ProtobufError::UnsupportedWireType(other as u8)),
        };
        Ok(Some((number, value)))
    }

    /// Reads a base-128 varint of at most ten bytes.
    pub(super) fn varint(&mut self) -> Result<u64> {
        let mut value: u64 = 0;
        for (i, &byte) in self.buf.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.buf = &self.buf[i + 1..];
                return Ok(value);
            }
        }
        if self.buf.len() >= 10 {
            Err(ProtobufError::VarintTooLong)
        } else {
            Err(ProtobufError::Truncated("varint"))
        }
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let (head, rest) = self
            .buf
            .split_first_chunk::<N>()
            .ok_or(ProtobufError::Truncated("fixed-width value"))?;
        self.buf = rest;
        Ok(*head)
    }

    /// Whether every byte has been read.
    pub(super) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_decode_little_endian_base_128() {
        let mut r = Reader::new(&[0x96, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(r.varint().unwrap(), 150);
        assert_eq!(r.varint().unwrap(), 0);
        assert_eq!(r.varint().unwrap(), u64::from(u32::MAX));
        assert!(r.is_empty());
    }

    #[test]
    fn a_varint_without_its_last_byte_is_truncated() {
        let err = Reader::new(&[0x96]).varint().unwrap_err();
        assert!(matches!(err, ProtobufError::Truncated("varint")), "{err}");
    }

    #[test]
    fn a_varint_longer_than_ten_bytes_is_rejected() {
        let err = Reader::new(&[0xff; 11]).varint().unwrap_err();
        assert!(matches!(err, ProtobufError::VarintTooLong), "{err}");
    }

    #[test]
    fn fields_of_every_wire_type_are_read() {
        let bytes = [
            0x08, 0x05, // 1: varint 5
            0x11, 1, 0, 0, 0, 0, 0, 0, 0, // 2: fixed64 1
            0x1a, 0x02, b'h', b'i', // 3: "hi"
            0x25, 2, 0, 0, 0, // 4: fixed32 2
        ];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.next_field().unwrap(), Some((1, WireValue::Varint(5))));
        assert_eq!(r.next_field().unwrap(), Some((2, WireValue::Fixed64(1))));
        assert_eq!(r.next_field().unwrap(), Some((3, WireValue::Len(b"hi"))));
        assert_eq!(r.next_field().unwrap(), Some((4, WireValue::Fixed32(2))));
        assert_eq!(r.next_field().unwrap(), None);
    }

    #[test]
    fn a_length_past_the_end_is_rejected() {
        let err = Reader::new(&[0x0a, 0x05, b'a']).next_field().unwrap_err();
        assert!(
            matches!(
                err,
                ProtobufError::LengthPastEnd {
                    len: 5,
                    remaining: 1
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn groups_and_field_zero_are_rejected() {
        let err = Reader::new(&[0x0b]).next_field().unwrap_err();
        assert!(
            matches!(err, ProtobufError::UnsupportedWireType(3)),
            "{err}"
        );
        let err = Reader::new(&[0x00, 0x00]).next_field().unwrap_err();
        assert!(matches!(err, ProtobufError::InvalidFieldNumber(0)), "{err}");
    }

    #[test]
    fn a_truncated_fixed64_is_rejected() {
        let err = Reader::new(&[0x09, 1, 2]).next_field().unwrap_err();
        assert!(matches!(err, ProtobufError::Truncated(_)), "{err}");
    }
}
