//! `Client::from_env`. Alone in its test binary: changing the environment
//! while other threads read it (reqwest reads proxy variables) is unsound.

use segmind_ideogram::{API_KEY_ENV, Client, Error};

#[test]
fn from_env_reads_the_key_and_refuses_without_one() {
    // SAFETY: the only test in this process, so no other thread reads the
    // environment while it changes.
    unsafe { std::env::remove_var(API_KEY_ENV) };
    let err = Client::from_env().unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("SEGMIND_API_KEY")),
        "{err:?}"
    );

    // SAFETY: as above.
    unsafe { std::env::set_var(API_KEY_ENV, "sk-from-env\n") };
    let client = Client::from_env().expect("client");
    assert_eq!(client.base_url(), "https://api.segmind.com/");
    assert!(!format!("{client:?}").contains("sk-from-env"));
}
