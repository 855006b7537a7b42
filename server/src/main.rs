// Cargo unifies features within one build: built together with the SDK, the model would speak
// JavaScript's camelCase instead of the wire's snake_case.
const _: () = assert!(
    !credport_model::JS_FIELD_NAMES,
    "build credport-server with -p credport-server"
);

fn main() -> std::process::ExitCode {
    credport_server::cli::main()
}
