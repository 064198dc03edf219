//! Money as whole micro-dollars: sums of prices are exact (no `f64`
//! epsilon), and no arithmetic on a number a server sent can overflow.

use std::fmt;
use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

/// An amount of US dollars in millionths of a dollar. Additions saturate,
/// subtractions stop at zero: a total can be wrong only by being too high,
/// which is the safe side for a budget.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Usd(u64);

/// The most any single amount read from outside may be: a million dollars.
/// A cost Segmind reports above it is read as this (still far over any
/// budget, so nothing more is spent), never as an overflow.
pub const MAX_AMOUNT: Usd = Usd(1_000_000 * Usd::MICROS_PER_DOLLAR);

impl Usd {
    const MICROS_PER_DOLLAR: u64 = 1_000_000;

    /// No money.
    pub const ZERO: Usd = Usd(0);

    /// `micros` millionths of a dollar.
    pub const fn from_micros(micros: u64) -> Self {
        Usd(micros)
    }

    /// Whole dollars.
    pub const fn dollars(dollars: u64) -> Self {
        Usd(dollars.saturating_mul(Self::MICROS_PER_DOLLAR))
    }

    /// The amount in millionths of a dollar.
    pub const fn micros(self) -> u64 {
        self.0
    }

    /// A dollar amount given as a float (a price in the registry, a cost
    /// Segmind reported, a flag), rounded to the nearest micro-dollar;
    /// `None` for NaN, infinities and negative amounts. Amounts above
    /// [`MAX_AMOUNT`] are clamped to it.
    pub fn from_dollars(dollars: f64) -> Option<Self> {
        if !dollars.is_finite() || dollars < 0.0 {
            return None;
        }
        let micros = (dollars * Self::MICROS_PER_DOLLAR as f64).round();
        Some(if micros >= MAX_AMOUNT.0 as f64 {
            MAX_AMOUNT
        } else {
            Usd(micros as u64)
        })
    }

    /// The amount as a float, for display and for APIs that take one.
    pub fn as_dollars(self) -> f64 {
        self.0 as f64 / Self::MICROS_PER_DOLLAR as f64
    }

    /// `self − other`, or zero when `other` is larger.
    pub const fn saturating_sub(self, other: Usd) -> Usd {
        Usd(self.0.saturating_sub(other.0))
    }

    /// `self + other`, saturating.
    pub const fn saturating_add(self, other: Usd) -> Usd {
        Usd(self.0.saturating_add(other.0))
    }

    /// `self × n`, saturating.
    pub const fn times(self, n: u64) -> Usd {
        Usd(self.0.saturating_mul(n))
    }
}

impl Add for Usd {
    type Output = Usd;

    fn add(self, other: Usd) -> Usd {
        self.saturating_add(other)
    }
}

impl AddAssign for Usd {
    fn add_assign(&mut self, other: Usd) {
        *self = self.saturating_add(other);
    }
}

impl std::iter::Sum for Usd {
    fn sum<I: Iterator<Item = Usd>>(iter: I) -> Usd {
        iter.fold(Usd::ZERO, Add::add)
    }
}

/// `$1.130`: three decimals, as prices are quoted; `{:.6}` shows every
/// micro-dollar.
impl fmt::Display for Usd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = f.precision().unwrap_or(3).min(6);
        let scale = 10u64.pow(6 - digits as u32);
        // Rounded half up at the shown precision, in integers.
        let shown = self.0.saturating_add(scale / 2) / scale;
        let unit = 10u64.pow(digits as u32);
        if digits == 0 {
            write!(f, "${shown}")
        } else {
            write!(
                f,
                "${}.{:0width$}",
                shown / unit,
                shown % unit,
                width = digits
            )
        }
    }
}

impl std::str::FromStr for Usd {
    type Err = String;

    /// `1.13`, `$1.13` or `0.000001`: a non-negative decimal with at most
    /// six decimals, parsed exactly (no float in between).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let digits = text.strip_prefix('$').unwrap_or(text);
        let bad = || format!("`{text}` is not an amount of dollars (e.g. 20 or 0.50)");
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if (whole.is_empty() && fraction.is_empty())
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        if fraction.len() > 6 {
            return Err(format!("`{text}` has more than six decimals"));
        }
        let whole: u64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let fraction: u64 = format!("{fraction:0<6}").parse().map_err(|_| bad())?;
        let micros = whole
            .checked_mul(Self::MICROS_PER_DOLLAR)
            .and_then(|m| m.checked_add(fraction))
            .filter(|m| *m <= MAX_AMOUNT.0)
            .ok_or_else(|| format!("`{text}` is more than {MAX_AMOUNT:.0}"))?;
        Ok(Usd(micros))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn floats_round_to_the_micro_and_nonsense_is_refused() {
        assert_eq!(Usd::from_dollars(0.113), Some(Usd::from_micros(113_000)));
        assert_eq!(
            Usd::from_dollars(0.1 + 0.2),
            Some(Usd::from_micros(300_000))
        );
        for nonsense in [f64::NAN, f64::INFINITY, -0.01, f64::NEG_INFINITY] {
            assert_eq!(Usd::from_dollars(nonsense), None, "{nonsense}");
        }
        assert_eq!(Usd::from_dollars(1e300), Some(MAX_AMOUNT));
        assert_eq!(Usd::from_dollars(f64::MAX), Some(MAX_AMOUNT));
    }

    #[test]
    fn shown_as_prices_are_quoted() {
        assert_eq!(Usd::from_micros(1_130_000).to_string(), "$1.130");
        assert_eq!(Usd::from_micros(37_500).to_string(), "$0.038");
        assert_eq!(format!("{:.6}", Usd::from_micros(1)), "$0.000001");
        assert_eq!(format!("{:.2}", Usd::dollars(20)), "$20.00");
        assert_eq!(format!("{:.0}", Usd::from_micros(1_600_000)), "$2");
        assert_eq!(Usd::ZERO.to_string(), "$0.000");
    }

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!("20".parse(), Ok(Usd::dollars(20)));
        assert_eq!("$0.50".parse(), Ok(Usd::from_micros(500_000)));
        assert_eq!(".25".parse(), Ok(Usd::from_micros(250_000)));
        assert_eq!("0.000001".parse(), Ok(Usd::from_micros(1)));
        for bad in [
            "",
            "-1",
            "1e3",
            "1.0000001",
            "NaN",
            "1.2.3",
            "$",
            "99999999999999999999",
        ] {
            assert!(bad.parse::<Usd>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn arithmetic_never_panics_and_never_wraps(a in any::<u64>(), b in any::<u64>(), n in any::<u64>()) {
            let (x, y) = (Usd::from_micros(a), Usd::from_micros(b));
            prop_assert!(x + y >= x.max(y));
            prop_assert!(x.saturating_sub(y) <= x);
            prop_assert!(x.times(n) >= x.min(x.times(n)));
            let _ = (x.to_string(), format!("{x:.6}"), format!("{x:.0}"));
        }

        #[test]
        fn display_at_six_decimals_parses_back(micros in 0..=MAX_AMOUNT.micros()) {
            let amount = Usd::from_micros(micros);
            prop_assert_eq!(format!("{amount:.6}").parse::<Usd>(), Ok(amount));
        }
    }
}
