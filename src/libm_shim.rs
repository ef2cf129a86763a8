//! The one function svcgen needs from the C math library, defined here so `libm.so` is never
//! loaded.
//!
//! `pow` is called only by indicatif's rate estimate (the progress bars of `update --all` and
//! `blueprint test`), yet the reference alone made every start of svcgen load libm: about
//! 0.3 MiB of a `svcgen new`'s 8 MiB memory budget (bench/new.sh) and one more shared library
//! to map and relocate. The definition comes from the `libm` crate, the Rust port of musl's
//! math library, so the results are those of a C library's `pow`.

/// `pow(3)`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[unsafe(no_mangle)]
pub extern "C" fn pow(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

#[cfg(test)]
mod tests {
    #[test]
    fn pow_is_the_c_librarys() {
        assert_eq!(super::pow(2.0, 10.0), 1024.0);
        assert_eq!(super::pow(0.1, 0.5), 0.1f64.sqrt());
        assert!(super::pow(-1.0, 0.5).is_nan());
    }
}
