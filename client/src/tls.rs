//! Where the client's HTTP clients start from when the caller gives no
//! builder of its own. With the `native-tls` feature, reqwest's default
//! backend, building a TLS connector loads the platform's root
//! certificates: tens of milliseconds per HTTP client, two per `Client`.
//! The connector is built once per process and shared (it is reqwest's
//! default one: platform roots, no ALPN without `native-tls-alpn`).

/// reqwest's default builder, with the process's TLS connector when the
/// default backend is the platform's.
pub(crate) fn default_builder() -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "native-tls")]
    if let Some(connector) = native::connector() {
        return builder.use_preconfigured_tls(connector);
    }
    builder
}

#[cfg(feature = "native-tls")]
mod native {
    use std::sync::OnceLock;

    /// The platform's default connector, built on first use; `None` when
    /// the platform cannot build one (reqwest then reports the same error
    /// building its own).
    pub(super) fn connector() -> Option<native_tls::TlsConnector> {
        static CONNECTOR: OnceLock<Option<native_tls::TlsConnector>> = OnceLock::new();
        CONNECTOR
            .get_or_init(|| native_tls::TlsConnector::new().ok())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clients_build_from_the_default() {
        for _ in 0..2 {
            assert!(super::default_builder().build().is_ok());
        }
    }
}
