// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli_dump.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <vector>

namespace kctl::cli {

namespace {

/// What may follow an option, or be an argument: no value (a flag), a value with nothing to
/// offer, a fixed set of words, or a file, a directory or a device.
struct value_kind {
    bool takes = false;
    std::string special;  // "file", "dir", "device" or ""
    std::vector<std::string> choices;
};

struct option_desc {
    std::vector<std::string> names;  // "-c", "--count"
    value_kind value;
};

struct command_desc {
    std::string path;  // "" for kctl itself, "udev install"
    std::string description;
    std::vector<std::string> subcommands;
    std::vector<option_desc> options;
    std::vector<value_kind> arguments;
};

/// From the option's type name as CLI11 builds it: TYPE[:VALIDATOR...], where an IsMember
/// validator reads {a,b,c}, ExistingFile FILE and ExistingDirectory DIR; kctl names its
/// device options' type DEVICE.
value_kind kind_of(const CLI::Option& o) {
    value_kind k;
    k.takes = o.get_expected_max() != 0;  // flags expect 0 values
    if (!k.takes)
        return k;
    const std::string type = o.get_type_name();
    std::size_t start = 0;
    while (start <= type.size()) {
        std::size_t end = type.find(':', start);
        if (type.compare(start, 1, "{") == 0)
            end = type.find('}', start);
        if (end == std::string::npos)
            end = type.size();
        const std::string part = type.substr(start, end - start + (type[start] == '{'));
        if (part.size() > 1 && part.front() == '{' && part.back() == '}') {
            std::size_t p = 1;
            for (std::size_t c; (c = part.find(',', p)) != std::string::npos; p = c + 1)
                k.choices.push_back(part.substr(p, c - p));
            k.choices.push_back(part.substr(p, part.size() - 1 - p));
        } else if (part == "FILE" || part == "DIR" || part == "DEVICE") {
            k.special = part == "FILE" ? "file" : part == "DIR" ? "dir" : "device";
        }
        start = end + 1 + (type[start] == '{');
    }
    if (k.special.empty() && k.choices.empty() && o.get_name(true, false) == "FILE")
        k.special = "file";
    return k;
}

bool visible(const CLI::App* a) {
    return !a->get_name().empty() && !a->get_group().empty();
}

void describe(const CLI::App& app, const std::string& path, std::vector<command_desc>& out) {
    command_desc c;
    c.path = path;
    c.description = app.get_description();
    const CLI::Option* help = app.get_help_ptr();
    for (const CLI::Option* o : app.get_options()) {
        if (o->get_group().empty())
            continue;  // hidden, like --dump-cli itself
        if (!path.empty() && o == help)
            continue;  // kctl's own -h/--help is offered everywhere already
        if (o->nonpositional()) {
            option_desc d;
            for (const std::string& s : o->get_snames())
                d.names.push_back("-" + s);
            for (const std::string& l : o->get_lnames())
                d.names.push_back("--" + l);
            d.value = kind_of(*o);
            c.options.push_back(std::move(d));
        } else {
            c.arguments.push_back(kind_of(*o));
        }
    }
    std::vector<const CLI::App*> subs = app.get_subcommands([](const CLI::App*) { return true; });
    for (const CLI::App* s : subs)
        if (visible(s))
            c.subcommands.push_back(s->get_name());
    out.push_back(std::move(c));
    for (const CLI::App* s : subs)
        if (visible(s))
            describe(*s, path.empty() ? s->get_name() : path + " " + s->get_name(), out);
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const std::string& w : words)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

/// A bash word in double quotes.
std::string dq(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\' || c == '$' || c == '`')
            out += '\\';
        out += c;
    }
    return out + '"';
}

std::string spec(const value_kind& k) {
    return k.special.empty() ? join(k.choices) : "@" + k.special;
}

constexpr const char* bash_logic = R"BASH(
_kctl_devices()
{
    local d
    for d in /sys/class/kdemo/kdemo*; do
        [[ -e $d ]] && printf '%s\n' "${d##*/}"
    done
}

# Sets REPLY to what may follow option $2 of command $1 (or of kctl itself: the global
# options may follow any command); fails if $2 takes no value.
_kctl_value_of()
{
    local key
    for key in "$1|$2" "kctl|$2"; do
        if [[ -n ${_kctl_values[$key]+set} ]]; then
            REPLY=${_kctl_values[$key]}
            return 0
        fi
    done
    return 1
}

_kctl_offer()
{
    case $1 in
        @device) mapfile -t COMPREPLY < <(compgen -W "$(_kctl_devices)" -- "$cur") ;;
        @file) _filedir ;;
        @dir) _filedir -d ;;
        *) mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur") ;;
    esac
}

_kctl()
{
    local cur prev words cword REPLY
    _init_completion || return

    # The command: each word that names a subcommand of the command so far; options'
    # values are skipped.
    local i w path=kctl
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        if [[ $w == -* ]]; then
            [[ $w != *=* ]] && _kctl_value_of "$path" "$w" && ((i++))
        elif [[ " ${_kctl_commands[$path]-} " == *" $w "* ]]; then
            path+=" $w"
        fi
    done

    if [[ $prev == -* ]] && _kctl_value_of "$path" "$prev"; then
        _kctl_offer "$REPLY"
        return
    fi
    if [[ $cur == -* ]]; then
        local opts=${_kctl_options[$path]-}
        [[ $path != kctl ]] && opts+=" ${_kctl_options[kctl]}"
        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
    elif [[ -n ${_kctl_commands[$path]-} ]]; then
        mapfile -t COMPREPLY < <(compgen -W "${_kctl_commands[$path]}" -- "$cur")
    elif [[ -n ${_kctl_args[$path]+set} ]]; then
        _kctl_offer "${_kctl_args[$path]}"
    fi
}

complete -F _kctl kctl
)BASH";

std::string bash(const std::vector<command_desc>& commands) {
    std::string out =
        "# bash completion for kctl(1)                                -*- shell-script -*-\n"
        "# Generated by `kctl --dump-cli bash` from kctl's own command line definitions:\n"
        "# do not edit. Installed as share/bash-completion/completions/kctl.\n\n";
    std::string cmds, opts, values, args;
    for (const command_desc& d : commands) {
        command_desc c = d;
        c.path = d.path.empty() ? "kctl" : "kctl " + d.path;  // bash has no empty keys
        if (!c.subcommands.empty())
            cmds += fmt::format("    [{}]={}\n", dq(c.path), dq(join(c.subcommands)));
        std::vector<std::string> names;
        for (const option_desc& o : c.options) {
            names.insert(names.end(), o.names.begin(), o.names.end());
            if (o.value.takes)
                for (const std::string& n : o.names)
                    values += fmt::format("    [{}]={}\n", dq(c.path + "|" + n), dq(spec(o.value)));
        }
        opts += fmt::format("    [{}]={}\n", dq(c.path), dq(join(names)));
        if (!c.arguments.empty())
            args += fmt::format("    [{}]={}\n", dq(c.path), dq(spec(c.arguments.front())));
    }
    out += "# the subcommands of each command\n";
    out += "declare -gA _kctl_commands=(\n" + cmds + ")\n";
    out += "# the options of each command (kctl's: the global options)\n";
    out += "declare -gA _kctl_options=(\n" + opts + ")\n";
    out +=
        "# \"COMMAND|OPTION\" for each option that takes a value: its choices, @file, @dir,\n"
        "# @device, or empty (anything)\n";
    out += "declare -gA _kctl_values=(\n" + values + ")\n";
    out += "# what each command's first argument may be\n";
    out += "declare -gA _kctl_args=(\n" + args + ")\n";
    return out + bash_logic;
}

/// A man page's NAME line from the command's description: its first clause without
/// parenthetical remarks, starting in lower case.
std::string page_name(const std::string& description) {
    std::string s;
    int depth = 0;
    for (const char c : description) {
        depth += c == '(';
        if (depth == 0 && !(c == ' ' && !s.empty() && s.back() == ' '))
            s += c;
        depth -= c == ')' && depth > 0;
    }
    for (const char* stop : {";", ":", ". "})
        if (const std::size_t at = s.find(stop); at != std::string::npos)
            s.erase(at);
    while (!s.empty() && (s.back() == ' ' || s.back() == '.'))
        s.pop_back();
    if (!s.empty())
        s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
    return s;
}

std::string man(const std::vector<command_desc>& commands) {
    std::string out;
    for (const command_desc& c : commands)
        if (!c.path.empty())
            out += c.path + '\t' + page_name(c.description) + '\n';
    return out;
}

std::string to_json(const std::vector<command_desc>& commands) {
    auto value = [](const value_kind& k) {
        nlohmann::ordered_json v = nlohmann::ordered_json::object();
        if (!k.special.empty())
            v["complete"] = k.special;
        if (!k.choices.empty())
            v["choices"] = k.choices;
        return v;
    };
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const command_desc& c : commands) {
        nlohmann::ordered_json options = nlohmann::ordered_json::array();
        for (const option_desc& o : c.options) {
            nlohmann::ordered_json j = {{"names", o.names}};
            if (o.value.takes)
                j["value"] = value(o.value);
            options.push_back(j);
        }
        nlohmann::ordered_json arguments = nlohmann::ordered_json::array();
        for (const value_kind& a : c.arguments)
            arguments.push_back(value(a));
        list.push_back({{"command", c.path},
                        {"description", c.description},
                        {"subcommands", c.subcommands},
                        {"options", options},
                        {"arguments", arguments}});
    }
    return list.dump(2) + '\n';
}

}  // namespace

std::string dump_cli(const CLI::App& app, const std::string& format) {
    std::vector<command_desc> commands;
    describe(app, "", commands);
    if (format == "bash")
        return bash(commands);
    if (format == "man")
        return man(commands);
    return to_json(commands);
}

}  // namespace kctl::cli
