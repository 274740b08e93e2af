//! Shamir secret sharing of the data key across key groups (spec §7.3).
//!
//! Arithmetic is in GF(2^8) with the AES reduction polynomial x^8+x^4+x^3+x+1 (0x11B). Each
//! byte of the secret gets its own random polynomial of degree `threshold - 1` whose
//! constant term is that byte. Share *i* (0-based) is the values of all polynomials at
//! x = i+1 followed by one byte holding x, so a 32-byte key gives 33-byte shares; this is
//! the layout sops writes. Combining interpolates at x = 0 (Lagrange), byte by byte.
//!
//! The field operations use no secret-dependent branches or table lookups. Shares and
//! intermediate coefficients are zeroized on drop (best effort).

use rand::RngCore;
use zeroize::Zeroizing;

/// Multiplication in GF(2^8) modulo 0x11B, without secret-dependent branches.
fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    for _ in 0..8 {
        // Add `a` when the low bit of `b` is set (mask is 0x00 or 0xFF).
        product ^= a & 0u8.wrapping_sub(b & 1);
        b >>= 1;
        // Multiply `a` by x, reducing by 0x1B when the high bit falls off.
        let carry = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (0x1B & carry);
    }
    product
}

/// The multiplicative inverse in GF(2^8) (a^254); maps 0 to 0.
fn inverse(a: u8) -> u8 {
    // 254 = 0b1111_1110: square-and-multiply with a fixed sequence of operations.
    let mut result = 1u8;
    let mut power = a;
    for bit in 0..8 {
        if (254u32 >> bit) & 1 == 1 {
            result = mul(result, power);
        }
        power = mul(power, power);
    }
    result
}

/// Evaluates the polynomial with coefficients `coefficients` (constant first) at `x`.
fn evaluate(coefficients: &[u8], x: u8) -> u8 {
    coefficients
        .iter()
        .rev()
        .fold(0u8, |acc, &c| mul(acc, x) ^ c)
}

/// Splits `secret` into `shares` shares, any `threshold` of which rebuild it.
///
/// Share *i* is `secret.len() + 1` bytes: the polynomial values at x = i+1, then x itself.
///
/// # Panics
///
/// When `threshold` is 0, `threshold > shares` or `shares > 255`; callers validate the key
/// group count and threshold first (sops clamps the threshold to the number of groups).
pub fn split(secret: &[u8], threshold: usize, shares: usize) -> Vec<Zeroizing<Vec<u8>>> {
    assert!(threshold >= 1, "the Shamir threshold must be at least 1");
    assert!(
        threshold <= shares,
        "the Shamir threshold cannot exceed the number of shares"
    );
    assert!(shares <= 255, "GF(2^8) allows at most 255 shares");

    let mut out: Vec<Zeroizing<Vec<u8>>> = (0..shares)
        .map(|i| {
            let mut share = Zeroizing::new(Vec::with_capacity(secret.len() + 1));
            share.resize(secret.len(), 0);
            share.push(u8::try_from(i + 1).expect("at most 255 shares"));
            share
        })
        .collect();
    let mut coefficients = Zeroizing::new(vec![0u8; threshold]);
    let mut rng = rand::rngs::OsRng;
    for (index, &byte) in secret.iter().enumerate() {
        coefficients[0] = byte;
        rng.fill_bytes(&mut coefficients[1..]);
        for share in &mut out {
            let x = share[secret.len()];
            share[index] = evaluate(&coefficients, x);
        }
    }
    out
}

/// Rebuilds the secret from shares made by [`split`] (at least the threshold of them), by
/// Lagrange interpolation at x = 0.
///
/// `Err` (never quoting share bytes) when there is no share, the lengths differ, a share is
/// too short, an x coordinate is 0 or two shares have the same x.
pub fn combine(shares: &[&[u8]]) -> Result<Zeroizing<Vec<u8>>, String> {
    let Some(first) = shares.first() else {
        return Err("no Shamir share to combine".to_owned());
    };
    let len = first.len();
    if len < 2 {
        return Err(format!(
            "a Shamir share must hold at least 2 bytes, share 1 has {len}"
        ));
    }
    if let Some((i, share)) = shares.iter().enumerate().find(|(_, s)| s.len() != len) {
        return Err(format!(
            "Shamir shares differ in length: share 1 has {len} bytes, share {} has {}",
            i + 1,
            share.len()
        ));
    }
    let xs: Vec<u8> = shares.iter().map(|s| s[len - 1]).collect();
    for (i, &x) in xs.iter().enumerate() {
        if x == 0 {
            return Err(format!(
                "Shamir share {} has the invalid x coordinate 0",
                i + 1
            ));
        }
        if xs[..i].contains(&x) {
            return Err(format!("two Shamir shares have the same x coordinate {x}"));
        }
    }

    // Lagrange basis values at 0: l_i(0) = prod_{j != i} x_j / (x_j - x_i); minus is XOR.
    let basis: Zeroizing<Vec<u8>> = Zeroizing::new(
        xs.iter()
            .enumerate()
            .map(|(i, &xi)| {
                xs.iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .fold(1u8, |acc, (_, &xj)| mul(acc, mul(xj, inverse(xj ^ xi))))
            })
            .collect(),
    );
    let mut secret = Zeroizing::new(vec![0u8; len - 1]);
    for (index, byte) in secret.iter_mut().enumerate() {
        *byte = shares
            .iter()
            .zip(basis.iter())
            .fold(0u8, |acc, (share, &l)| acc ^ mul(share[index], l));
    }
    Ok(secret)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every subset of `0..n` as index lists.
    fn subsets(n: usize) -> Vec<Vec<usize>> {
        (0u32..(1 << n))
            .map(|mask| (0..n).filter(|&i| mask & (1 << i) != 0).collect())
            .collect()
    }

    #[test]
    fn field_multiplication_known_answers() {
        // FIPS-197 §4.2 examples.
        assert_eq!(mul(0x57, 0x83), 0xC1);
        assert_eq!(mul(0x57, 0x13), 0xFE);
        assert_eq!(mul(0x57, 0x02), 0xAE);
        assert_eq!(mul(0x57, 0x04), 0x47);
        assert_eq!(mul(0x57, 0x08), 0x8E);
        assert_eq!(mul(0x57, 0x10), 0x07);
        assert_eq!(mul(0x00, 0xFF), 0x00);
        assert_eq!(mul(0x01, 0xAB), 0xAB);
        // The AES S-box is built from these inverses.
        assert_eq!(inverse(0x53), 0xCA);
        assert_eq!(inverse(0x01), 0x01);
        assert_eq!(inverse(0x00), 0x00);
        for a in 1..=255u8 {
            assert_eq!(mul(a, inverse(a)), 1, "inverse of {a:#04x}");
        }
    }

    #[test]
    fn multiplication_is_commutative_and_distributive() {
        for a in (0..=255u8).step_by(7) {
            for b in (0..=255u8).step_by(11) {
                assert_eq!(mul(a, b), mul(b, a));
                assert_eq!(mul(a, b ^ 0x35), mul(a, b) ^ mul(a, 0x35));
            }
        }
    }

    #[test]
    fn shares_have_the_sops_layout() {
        let secret = [0xA5u8; 32];
        let shares = split(&secret, 2, 3);
        assert_eq!(shares.len(), 3);
        for (i, share) in shares.iter().enumerate() {
            assert_eq!(share.len(), 33);
            assert_eq!(usize::from(share[32]), i + 1);
        }
        // With threshold 2 each share alone is not the secret (the chance that all 32
        // random coefficients are zero is negligible).
        assert_ne!(&shares[0][..32], &secret[..]);
    }

    #[test]
    fn any_threshold_subset_rebuilds_the_secret() {
        let secret: Vec<u8> = (0u8..32).map(|b| b.wrapping_mul(37) ^ 0x5A).collect();
        for (threshold, count) in [(1, 1), (1, 3), (2, 2), (2, 3), (3, 5), (4, 4)] {
            let shares = split(&secret, threshold, count);
            for subset in subsets(count) {
                let picked: Vec<&[u8]> = subset.iter().map(|&i| shares[i].as_slice()).collect();
                if subset.len() >= threshold {
                    assert_eq!(
                        *combine(&picked).unwrap(),
                        secret,
                        "t={threshold} n={count} {subset:?}"
                    );
                } else if !subset.is_empty() {
                    // Too few shares give a wrong value (not an error: Shamir cannot tell).
                    assert_ne!(
                        *combine(&picked).unwrap(),
                        secret,
                        "t={threshold} n={count} {subset:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn combine_known_answer() {
        // Secret byte 0x42, polynomial 0x42 + 0x07·x: shares (1, 0x45), (2, 0x4C), (3, 0x4B).
        assert_eq!(evaluate(&[0x42, 0x07], 1), 0x45);
        assert_eq!(evaluate(&[0x42, 0x07], 2), 0x4C);
        assert_eq!(evaluate(&[0x42, 0x07], 3), 0x4B);
        let got = combine(&[&[0x4C, 2], &[0x4B, 3]]).unwrap();
        assert_eq!(*got, [0x42]);
    }

    #[test]
    fn combine_rejects_bad_shares() {
        let shares = split(b"secret", 2, 3);
        let err = combine(&[&shares[0], &shares[0]]).unwrap_err();
        assert_eq!(err, "two Shamir shares have the same x coordinate 1");
        let mut zero = shares[1].to_vec();
        *zero.last_mut().unwrap() = 0;
        let err = combine(&[&shares[0], &zero]).unwrap_err();
        assert_eq!(err, "Shamir share 2 has the invalid x coordinate 0");
        let err = combine(&[&shares[0], &shares[1][1..]]).unwrap_err();
        assert_eq!(
            err,
            "Shamir shares differ in length: share 1 has 7 bytes, share 2 has 6"
        );
        assert_eq!(combine(&[]).unwrap_err(), "no Shamir share to combine");
        assert_eq!(
            combine(&[&[1]]).unwrap_err(),
            "a Shamir share must hold at least 2 bytes, share 1 has 1"
        );
    }
}
