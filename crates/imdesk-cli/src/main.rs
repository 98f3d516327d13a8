//! `imdesk-cli`: the headless front door of imdesk.

fn main() {
    println!("imdesk-cli {}", env!("CARGO_PKG_VERSION"));
}
