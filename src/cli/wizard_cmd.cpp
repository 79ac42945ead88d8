// SPDX-License-Identifier: Apache-2.0
// aicactl wizard: a menu over the ordinary commands for the occasional admin. Each entry is a
// command line of this same CLI, run by re-entering cli::run in a child (its output captured
// so a dialog can show it): the wizard has no logic of its own. A mutating entry first runs
// with --dry-run, shows that plan and applies it only when confirmed. whiptail or dialog draw
// the menu on a terminal; a numbered text menu is used with --text, when stdin or stdout is not
// a terminal, or when neither is installed.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aicactl/cli/app.hpp"
#include "aicactl/cli/context.hpp"
#include "aicactl/core/plan/errors.hpp"
#include "aicactl/os/process.hpp"
#include "aicactl/os/terminal.hpp"

namespace aicactl::cli {
namespace {

enum class Mutating { yes, no };

// The word in an entry's command line that the wizard asks for (a user name).
constexpr const char* kNameSlot = "NAME";

struct Entry {
  std::string key;                // what the text menu reads, and the dialog's tag
  std::string label;              // what the menu shows
  std::vector<std::string> args;  // the command line after "aicactl"; kNameSlot is asked for
  Mutating mutating = Mutating::no;
};

// "--" ends the options, so an answer such as "--all" is taken as a name (and rejected as one).
const std::vector<Entry>& menu() {
  static const std::vector<Entry> entries{
      {"1", "Add a user", {"user", "add", "--", kNameSlot}, Mutating::yes},
      {"2", "Remove a user (the home is kept)", {"user", "remove", "--", kNameSlot}, Mutating::yes},
      {"3", "List users", {"user", "list"}, Mutating::no},
      {"4", "Check the server (doctor)", {"doctor"}, Mutating::no},
      {"5", "Clean every cache", {"cache", "clean", "--all"}, Mutating::yes},
      {"6", "Disk usage", {"disk", "usage"}, Mutating::no},
      {"7", "GPU status", {"gpu", "status"}, Mutating::no},
      {"8", "GPU sessions", {"session", "list"}, Mutating::no},
  };
  return entries;
}

constexpr const char* kQuitKey = "q";

std::string shown(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (a != "--") {
      s += (s.empty() ? "" : " ") + a;
    }
  }
  return s;
}

struct WizardOptions {
  bool text = false;
  bool list_options = false;
};

// What a menu front end offers; each returns nullopt or false when the admin cancels.
class Ui {
 public:
  Ui() = default;
  Ui(const Ui&) = delete;
  Ui& operator=(const Ui&) = delete;
  Ui(Ui&&) = delete;
  Ui& operator=(Ui&&) = delete;
  virtual ~Ui() = default;
  virtual std::optional<std::string> choose() = 0;
  virtual std::optional<std::string> ask(const std::string& prompt) = 0;
  virtual bool confirm(const std::string& plan) = 0;
  virtual void show(const std::string& title, const std::string& text) = 0;
};

class TextUi : public Ui {
 public:
  std::optional<std::string> choose() override {
    for (;;) {
      std::cout << "\naicactl wizard\n";
      for (const auto& e : menu()) {
        std::cout << "  " << e.key << ") " << e.label << "\n";
      }
      std::cout << "  " << kQuitKey << ") Quit\n";
      auto answer = read_line("Choice: ");
      if (!answer || *answer == kQuitKey) {
        return std::nullopt;
      }
      for (const auto& e : menu()) {
        if (e.key == *answer) {
          return e.key;
        }
      }
      std::cout << "Unknown choice '" << *answer << "'\n";
    }
  }

  std::optional<std::string> ask(const std::string& prompt) override {
    auto answer = read_line(prompt + ": ");
    return answer && !answer->empty() ? answer : std::nullopt;
  }

  bool confirm(const std::string& plan) override {
    std::cout << plan << (plan.ends_with('\n') ? "" : "\n");
    const auto answer = read_line("Apply? [y/N]: ");
    return answer && (*answer == "y" || *answer == "Y" || *answer == "yes");
  }

  void show(const std::string& title, const std::string& text) override {
    std::cout << "== " << title << "\n" << text << (text.ends_with('\n') ? "" : "\n");
  }

 private:
  static std::optional<std::string> read_line(const std::string& prompt) {
    std::cout << prompt << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) {
      std::cout << "\n";
      return std::nullopt;
    }
    return line;
  }
};

// whiptail or dialog, run on our terminal; the answer comes back on fd 3.
class DialogUi : public Ui {
 public:
  explicit DialogUi(std::string tool) : tool_(std::move(tool)) {}

  std::optional<std::string> choose() override {
    std::vector<std::string> args{"--menu", "Choose a task", "20", "72", "10"};
    for (const auto& e : menu()) {
      args.push_back(e.key);
      args.push_back(e.label);
    }
    args.emplace_back(kQuitKey);
    args.emplace_back("Quit");
    auto answer = run(args);
    return answer && *answer != kQuitKey ? answer : std::nullopt;
  }

  std::optional<std::string> ask(const std::string& prompt) override {
    auto answer = run({"--inputbox", prompt, "10", "60"});
    return answer && !answer->empty() ? answer : std::nullopt;
  }

  bool confirm(const std::string& plan) override {
    // The question is the title: a long plan scrolls, the title stays in sight.
    return run(with_scrolling({"--yesno", plan, "24", "78"}, plan), "Apply this plan?").has_value();
  }

  void show(const std::string& title, const std::string& text) override {
    (void)run(with_scrolling({"--msgbox", text, "24", "78"}, text), title);
  }

 private:
  // A text taller than the box scrolls: whiptail only when asked (dialog always does and has no
  // such option). Only then, since whiptail's scrolling text takes the first Tab and Enter.
  [[nodiscard]] std::vector<std::string> with_scrolling(std::vector<std::string> args, const std::string& text) const {
    constexpr long kBoxLines = 16;
    if (tool_.ends_with("whiptail") && std::count(text.begin(), text.end(), '\n') > kBoxLines) {
      args.insert(args.begin(), "--scrolltext");
    }
    return args;
  }

  // The answer (empty for yes/no boxes), or nullopt when the admin chose Cancel, No or Esc.
  std::optional<std::string> run(const std::vector<std::string>& box, const std::string& title = "aicactl wizard") {
    std::vector<std::string> argv{tool_, "--output-fd", "3", "--title", title};
    argv.insert(argv.end(), box.begin(), box.end());
    const auto result = core::value_or_throw(os::run_on_terminal(argv, terminal_env()));
    if (result.exit_code != 0) {
      return std::nullopt;
    }
    std::string answer = result.out;
    while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) {
      answer.pop_back();
    }
    return answer;
  }

  // The terminal type is all a dialog needs from our environment (nothing else is passed on).
  static std::vector<std::string> terminal_env() {
    const char* term = std::getenv("TERM");
    if (term == nullptr || std::string_view(term).empty() ||
        std::string_view(term).find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") != std::string_view::npos) {
      return {"TERM=vt100"};
    }
    return {std::string("TERM=") + term};
  }

  std::string tool_;
};

std::unique_ptr<Ui> make_ui(const WizardOptions& o) {
  if (!o.text && os::on_terminal()) {
    for (const char* tool : {"whiptail", "dialog"}) {
      if (std::string path = os::find_program(tool); !path.empty()) {
        return std::make_unique<DialogUi>(path);
      }
    }
  }
  return std::make_unique<TextUi>();
}

// The full command line of an entry: the wizard's own --config, then --dry-run when asked.
std::vector<std::string> command_line(const GlobalOptions& options, const std::vector<std::string>& args,
                                      core::DryRun dry) {
  std::vector<std::string> argv{"aicactl"};
  if (options.config_given) {
    argv.insert(argv.end(), {"--config", options.config_path});
  }
  if (dry == core::DryRun::yes) {
    argv.emplace_back("--dry-run");
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Runs a command line through the same CLI (cli::run) in a child, its output captured.
os::ProcessResult run_command(const std::vector<std::string>& argv) {
  return core::value_or_throw(os::run_captured([&argv] {
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    args.reserve(copy.size() + 1);
    for (auto& a : copy) {
      args.push_back(a.data());
    }
    args.push_back(nullptr);
    return run(static_cast<int>(copy.size()), args.data());
  }));
}

std::string transcript(const std::vector<std::string>& argv, const os::ProcessResult& r) {
  return "$ " + shown(argv) + "\n" + r.out + (r.out.empty() || r.out.ends_with('\n') ? "" : "\n") + "(exit code " +
         std::to_string(r.exit_code) + ")\n";
}

void run_entry(Ui& ui, const GlobalOptions& options, const Entry& entry) {
  std::vector<std::string> args = entry.args;
  for (auto& a : args) {
    if (a == kNameSlot) {
      auto name = ui.ask("User name");
      if (!name) {
        ui.show(entry.label, "Cancelled. Nothing was changed.");
        return;
      }
      a = *name;
    }
  }
  if (entry.mutating == Mutating::yes) {
    const auto plan_argv = command_line(options, args, core::DryRun::yes);
    const auto plan = run_command(plan_argv);
    if (plan.exit_code != 0) {
      ui.show(entry.label, transcript(plan_argv, plan) + "The plan failed. Nothing was changed.");
      return;
    }
    if (!ui.confirm(transcript(plan_argv, plan))) {
      ui.show(entry.label, "Cancelled. Nothing was changed.");
      return;
    }
  }
  const auto argv = command_line(options, args, core::DryRun::no);
  ui.show(entry.label, transcript(argv, run_command(argv)));
}

int run_wizard(const GlobalOptions& options, const WizardOptions& o) {
  if (o.list_options) {
    for (const auto& e : menu()) {
      std::cout << e.key << "  " << e.label << "  (aicactl " << shown(e.args)
                << (e.mutating == Mutating::yes ? "; shows the --dry-run plan first" : "") << ")\n";
    }
    std::cout << kQuitKey << "  Quit\n";
    return 0;
  }
  if (options.dry_run || options.json) {
    throw core::Error(core::ExitCode::usage,
                      "wizard takes no --dry-run or --json: it shows each plan itself and asks before applying it");
  }
  const auto ui = make_ui(o);
  while (const auto key = ui->choose()) {
    for (const auto& e : menu()) {
      if (e.key == *key) {
        run_entry(*ui, options, e);
      }
    }
  }
  return 0;
}

}  // namespace

void register_wizard(Registrar& r) {
  auto o = std::make_shared<WizardOptions>();
  auto* cmd = r.app.add_subcommand(
      "wizard", "A menu over the common commands; each change shows its --dry-run plan and asks first");
  cmd->add_flag("--text", o->text, "A numbered text menu even on a terminal with whiptail or dialog");
  cmd->add_flag("--list-options", o->list_options, "Print the menu and the command behind each entry, then exit");
  cmd->callback([&r, o] { r.set_handler([&opts = r.options, o] { return run_wizard(opts, *o); }); });
}

}  // namespace aicactl::cli
