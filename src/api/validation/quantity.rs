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
    format: Format,
    negative: bool,
    /// The digits, saturated at `i128::MAX` for absurdly long numbers.
    mantissa: i128,
    scale: i32,
    pow2: u32,
}

/// How a quantity was written, which decides how kube writes it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// No suffix or a decimal SI one (`m`, `k`, `M`...).
    DecimalSi,
    /// A binary SI suffix (`Ki`, `Mi`...).
    BinarySi,
    /// An exponent (`e3`).
    DecimalExponent,
}

/// Parses a quantity string (surrounding spaces are ignored, as kube's JSON decoding does).
pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
    let s = s.trim();
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
    let format = if pow2 > 0 {
        Format::BinarySi
    } else if suffix.starts_with(['e', 'E']) && suffix.len() > 1 {
        Format::DecimalExponent
    } else {
        Format::DecimalSi
    };
    Ok(Quantity {
        format,
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

    /// The value in units of `10^scale`, rounded up and saturating at `i64` bounds: kube's
    /// `Quantity.ScaledValue`; `scaled_ceil(-3)` is `MilliValue` (cpu), `scaled_ceil(0)` is
    /// `Value` (memory bytes, pod counts).
    pub fn scaled_ceil(&self, scale: i32) -> i64 {
        let saturated = if self.negative { i64::MIN } else { i64::MAX };
        let Some(mut m) = 1i128
            .checked_shl(self.pow2)
            .and_then(|p| self.mantissa.checked_mul(p))
        else {
            return saturated;
        };
        if self.scale >= scale {
            for _ in scale..self.scale {
                match m.checked_mul(10) {
                    Some(v) => m = v,
                    None => return saturated,
                }
            }
        } else {
            let mut divisor: i128 = 1;
            for _ in self.scale..scale {
                match divisor.checked_mul(10) {
                    Some(d) => divisor = d,
                    // The quantity is below one unit: it rounds up to one (or down to zero).
                    None => return if self.negative || m == 0 { 0 } else { 1 },
                }
            }
            m = if self.negative {
                m / divisor
            } else {
                (m + divisor - 1) / divisor
            };
        }
        let m = if self.negative { -m } else { m };
        i64::try_from(m).unwrap_or(saturated)
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

/// Decimal suffixes by power of ten.
const DECIMAL_SUFFIXES: &[(i32, &str)] = &[
    (-9, "n"),
    (-6, "u"),
    (-3, "m"),
    (0, ""),
    (3, "k"),
    (6, "M"),
    (9, "G"),
    (12, "T"),
    (15, "P"),
    (18, "E"),
];
const BINARY_SUFFIXES: &[&str] = &["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

impl Quantity {
    /// The form kube writes the quantity back in (`Quantity.CanonicalizeBytes`): `0.5` is
    /// `500m`, `1000m` is `1`, `1.5Gi` is `1536Mi`; precision beyond nano units rounds up.
    /// `None` when the value is too large to rewrite exactly.
    pub fn canonical(&self) -> Option<String> {
        if self.mantissa == 0 {
            return Some("0".to_string());
        }
        if self.mantissa == i128::MAX {
            return None;
        }
        let sign = if self.negative { "-" } else { "" };
        // Binary quantities stay binary when they are whole numbers of at least 1024.
        if self.format == Format::BinarySi {
            if let Some(whole) = self.whole_value().filter(|v| *v >= 1024) {
                let (mut v, mut k) = (whole, 0);
                while v % 1024 == 0 && k + 1 < BINARY_SUFFIXES.len() {
                    v /= 1024;
                    k += 1;
                }
                return Some(format!("{sign}{v}{}", BINARY_SUFFIXES[k]));
            }
        }
        let (mut m, mut scale) = (
            self.mantissa.checked_mul(1i128.checked_shl(self.pow2)?)?,
            self.scale,
        );
        if scale < -9 {
            // Round up to a whole number of nano units.
            let mut divisor: i128 = 1;
            for _ in scale..-9 {
                divisor = divisor.checked_mul(10)?;
            }
            m = (m + divisor - 1) / divisor;
            scale = -9;
        }
        while m % 10 == 0 {
            m /= 10;
            scale += 1;
        }
        let r = scale.rem_euclid(3);
        for _ in 0..r {
            m = m.checked_mul(10)?;
        }
        scale -= r;
        let decimal = DECIMAL_SUFFIXES
            .iter()
            .find(|(e, _)| *e == scale)
            .map(|(_, s)| *s);
        let suffix = match (self.format, decimal) {
            (Format::DecimalExponent, _) if scale == 0 => String::new(),
            (Format::DecimalExponent, _) | (_, None) => format!("e{scale}"),
            (_, Some(s)) => s.to_string(),
        };
        Some(format!("{sign}{m}{suffix}"))
    }

    /// The magnitude as a whole number, if it is one.
    fn whole_value(&self) -> Option<i128> {
        let mut m = self.mantissa.checked_mul(1i128.checked_shl(self.pow2)?)?;
        if self.scale >= 0 {
            for _ in 0..self.scale {
                m = m.checked_mul(10)?;
            }
            return Some(m);
        }
        for _ in self.scale..0 {
            if m % 10 != 0 {
                return None;
            }
            m /= 10;
        }
        Some(m)
    }
}

/// The canonical form of a quantity string, or the string itself when it does not parse.
pub fn canonicalize(s: &str) -> String {
    parse(s)
        .ok()
        .and_then(|q| q.canonical())
        .unwrap_or_else(|| s.to_string())
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
    fn scaled_values_round_up_as_milli_value_and_value_do() {
        assert_eq!(q("500m").scaled_ceil(-3), 500);
        assert_eq!(q("2").scaled_ceil(-3), 2000);
        assert_eq!(q("0.1").scaled_ceil(-3), 100);
        assert_eq!(q("1n").scaled_ceil(-3), 1);
        assert_eq!(q("1Gi").scaled_ceil(0), 1 << 30);
        assert_eq!(q("128974848").scaled_ceil(0), 128_974_848);
        assert_eq!(q("129e6").scaled_ceil(0), 129_000_000);
        assert_eq!(q("1500m").scaled_ceil(0), 2);
        assert_eq!(q("110").scaled_ceil(0), 110);
        assert_eq!(q("1Ei").scaled_ceil(-3), i64::MAX);
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
    fn canonical_forms_match_kube() {
        for (given, canonical) in [
            ("0.5", "500m"),
            ("1000m", "1"),
            ("1500m", "1500m"),
            ("1.5", "1500m"),
            ("1000", "1k"),
            ("1500", "1500"),
            ("100Mi", "100Mi"),
            ("1024Mi", "1Gi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Ki", "512"),
            ("1e3", "1e3"),
            ("1E6", "1e6"),
            ("0", "0"),
            ("0.0000000001", "1n"),
            ("-2", "-2"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("123Mi", "123Mi"),
        ] {
            assert_eq!(canonicalize(given), canonical, "{given}");
        }
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
