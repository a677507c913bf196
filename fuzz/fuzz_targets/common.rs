//! Shared by the fuzz targets.

use std::sync::Once;

/// libFuzzer's panic hook aborts on every panic, even one that is caught. The template engine
/// (gtmpl) panics on some inputs in ways Falconer contains: its lexer runs on a thread of its
/// own (a panic there ends the parse with an error) and `GoTemplate::render` catches panics of
/// the renderer. Those panics are let through; every other panic still aborts, so the fuzzer
/// reports it.
pub fn contain_template_engine_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_engine = info
                .location()
                .is_some_and(|l| l.file().contains("/gtmpl-"));
            if !in_engine {
                fuzzer_hook(info);
            }
        }));
    });
}
