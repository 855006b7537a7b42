// Cargo unifies features within one build: built together with the SDK, the model would speak
// JavaScript's camelCase instead of the wire's snake_case.
const _: () = assert!(
    !credport_model::JS_FIELD_NAMES,
    "build credport-server with -p credport-server"
);

/// mimalloc instead of the C library's allocator: a request allocates and frees many small
/// blocks (headers, rows, JSON), and glibc's malloc and free were 14% of the server's CPU under
/// load (`perf`), with its locks shared between threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    credport_server::cli::main()
}
