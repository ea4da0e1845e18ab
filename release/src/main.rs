//! `platform-release`: see the library docs and `platform-release --help`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect()
    {
        Ok(args) => args,
        Err(arg) => {
            eprintln!("platform-release: argument {arg:?} is not UTF-8");
            return ExitCode::from(2);
        }
    };
    match platform_release::cli::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("platform-release: {error:#}");
            if platform_release::is_refusal(&error) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
