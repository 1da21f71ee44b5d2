//! `sapa`, the terminal client: parses the command line and hands over to
//! the library. (The CLI is being wired up; see issue 3.)

fn main() {
    println!("sapa: the terminal client is not wired up yet; see issue 3");
}
