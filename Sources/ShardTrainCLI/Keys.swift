import ArgumentParser
import ShardConfig

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "List every experiment key: type, default, range, meaning (Markdown).",
        discussion: "experiments/README.md's key table is this output; a test keeps the two the same.")

    func run() {
        print(ExperimentSchema.markdownTable, terminator: "")
    }
}
