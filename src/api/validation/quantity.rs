//! Resource quantities (`500m`, `1Gi`, `1e3`): the syntax kube accepts
//! (`k8s.io/apimachinery/pkg/api/resource/quantity.go`, `parseQuantityString`) and an exact
//! comparison, enough to check `requests <= limits`.

use std::cmp::Ordering;
use std::fmt;

/// Why a quantity string was refused, with apimachinery's wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuantityError {
    /// `ErrFormatWrong`.
    Format,
    /// `ErrSuffix`.
    Suffix,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityError::Format => f.write_str(
                "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            ),
            QuantityError::Suffix => f.write_str("unable to parse quantity's suffix"),
        }
    }
}

impl std::error::Error for QuantityError {}

/// A parsed quantity: `mantissa * 10^scale * 2^pow2`, negative when `negative`.
/// Equality and order are by value: `1` equals `1000m`.
#[derive(Clone, Copy, Debug)]
pub struct Quantity {
    negative: bool,
    /// The digits, saturated at `i128::MAX` for absurdly long numbers.
    mantissa: i128,
    scale: i32,
    pow2: u32,
}

/// Parses a quantity string.
pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
    if s.is_empty() {
        return Err(QuantityError::Format);
    }
    let bytes = s.as_bytes();
    let mut pos = 0;
    let mut negative = false;
    match bytes[0] {
        b'-' => {
            negative = true;
            pos += 1;
        }
        b'+' => pos += 1,
        _ => {}
    }
    let digits_from = |start: usize| {
        bytes[start..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .map_or(bytes.len(), |n| start + n)
    };
    let num_end = digits_from(pos);
    let num = &s[pos..num_end];
    pos = num_end;
    let mut denom = "";
    if pos < bytes.len() && bytes[pos] == b'.' {
        let denom_end = digits_from(pos + 1);
        denom = &s[pos + 1..denom_end];
        pos = denom_end;
    }
    // The suffix: SI letters, then an optional signed exponent.
    let suffix_start = pos;
    while pos < bytes.len() && b"eEinumkKMGTP".contains(&bytes[pos]) {
        pos += 1;
    }
    if pos < bytes.len() && (bytes[pos] == b'-' || bytes[pos] == b'+') {
        pos += 1;
    }
    pos = digits_from(pos);
    if pos != bytes.len() {
        return Err(QuantityError::Format);
    }
    let suffix = &s[suffix_start..];
    let (scale10, pow2) = interpret_suffix(suffix).ok_or(QuantityError::Suffix)?;

    let mut mantissa: i128 = 0;
    for b in num.bytes().chain(denom.bytes()) {
        mantissa = mantissa
            .saturating_mul(10)
            .saturating_add(i128::from(b - b'0'));
    }
    let denom_len = i32::try_from(denom.len()).unwrap_or(i32::MAX);
    Ok(Quantity {
        negative: negative && mantissa != 0,
        mantissa,
        scale: scale10.saturating_sub(denom_len),
        pow2,
    })
}

/// The power of ten and power of two a suffix stands for.
fn interpret_suffix(suffix: &str) -> Option<(i32, u32)> {
    let decimal = |e: i32| Some((e, 0));
    let binary = |p: u32| Some((0, p));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        s if s.len() > 1 && (s.starts_with('e') || s.starts_with('E')) => {
            s[1..].parse::<i32>().ok().map(|e| (e, 0))
        }
        _ => None,
    }
}

impl Quantity {
    /// Whether the quantity is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Whether the quantity is above zero.
    pub fn is_positive(&self) -> bool {
        !self.negative && self.mantissa != 0
    }

    fn approx(&self) -> f64 {
        // Only used when the exact comparison would overflow: an approximation is enough.
        let m = self.mantissa as f64;
        let v = m * 10f64.powi(self.scale) * 2f64.powi(self.pow2 as i32);
        if self.negative {
            -v
        } else {
            v
        }
    }

    /// `mantissa * 2^pow2 * 10^(scale - target)`, if it fits.
    fn scaled(&self, target: i32) -> Option<i128> {
        let mut m = self.mantissa.checked_mul(1i128.checked_shl(self.pow2)?)?;
        for _ in target..self.scale {
            m = m.checked_mul(10)?;
        }
        Some(if self.negative { -m } else { m })
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        let target = self.scale.min(other.scale);
        match (self.scaled(target), other.scaled(target)) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => self.approx().partial_cmp(&other.approx()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        parse(s).unwrap()
    }

    #[test]
    fn parses_the_forms_kube_accepts() {
        for ok in [
            "1", "0", "500m", "0.5", ".5", "1.", "1Gi", "128Mi", "1e3", "1E-3", "+2k", "-1",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(parse("lots").err(), Some(QuantityError::Format));
        assert_eq!(parse("").err(), Some(QuantityError::Format));
        assert_eq!(parse("1Gb").err(), Some(QuantityError::Format));
        assert_eq!(parse("1Ki5").err(), Some(QuantityError::Suffix));
        assert_eq!(parse("1mm").err(), Some(QuantityError::Suffix));
    }

    #[test]
    fn compares_exactly_across_suffixes() {
        assert_eq!(q("1").partial_cmp(&q("1000m")), Some(Ordering::Equal));
        assert_eq!(q("0.1").partial_cmp(&q("100m")), Some(Ordering::Equal));
        assert!(q("1Gi") > q("1G"));
        assert!(q("1Ki") == q("1024"));
        assert!(q("250m") < q("1"));
        assert!(q("-1").is_negative());
        assert!(q("1Ei") > q("1"));
    }
}
