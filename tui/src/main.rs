fn main() {
    println!("sapa: the terminal client is not built yet; see issue 3");
}
