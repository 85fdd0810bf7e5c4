#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# completion_test.sh COMPLETION-SCRIPT - kctl's bash completion (made by
# kctl --dump-cli bash), with bash-completion's helpers: the words offered for a
# command line, table-driven; then, for every command the script knows, that its
# subcommands and options are offered (the table of the script is kctl's own).
set -u
# shellcheck source=/dev/null
. /usr/share/bash-completion/bash_completion
declare -A _kctl_commands=() _kctl_options=()  # filled by the script
# shellcheck source=/dev/null
. "$1"

failed=0
# expect "COMMAND LINE (the last word is completed)" "WORDS OFFERED, sorted"
expect() {
	local line=$1 want=$2 got
	read -r -a COMP_WORDS <<<"$line"
	[[ $line == *' ' ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_kctl
	got=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort | tr '\n' ' ')
	got=${got% }
	if [ "$got" != "$want" ]; then
		echo "FAIL: '$line': got '$got', want '$want'"
		failed=1
	fi
}

expect "kctl met" "metrics"
expect "kctl s" "schema set-msg sum"
expect "kctl " "add batch bench get-msg info list metrics module reset schema set-msg sum udev watch"
expect "kctl --tr" "--transport"
expect "kctl -t s" "sysfs"
expect "kctl --transport " "auto ioctl mmap netlink proc sysfs uring"
expect "kctl -t n" "netlink"
expect "kctl bench --transports " "ioctl mmap netlink proc sysfs uring"
expect "kctl schema " "add batch bench get-msg info list module reset set-msg sum udev watch"
expect "kctl -d kdemo0 udev install --dry-run -t " "auto ioctl mmap netlink proc sysfs uring"
expect "kctl module load -" "--device --help --json --path --transport --verbose --version -V -d -h -j -p -t -v"
expect "kctl --dump" ""
expect "kctl metrics --te" "--textfile"
expect "kctl -t proc metrics --" "--device --help --json --textfile --transport --verbose --version"
expect "kctl udev " "install uninstall"
expect "kctl udev install -" "--device --dry-run --help --json --transport --verbose --version -V -d -h -j -n -t -v"
expect "kctl module " "load unload"
expect "kctl watch --c" "--count"
expect "kctl bench --ops s" "set-msg sum"
expect "kctl -t u" "uring"
expect "kctl batch -" "--device --help --json --transport --verbose --version -V -d -h -j -t -v"
# Every command: its subcommands after it, its options (and the global ones) after "-".
# shellcheck disable=SC2154 # _kctl_commands and _kctl_options come from the script
sorted() { printf '%s\n' "$@" | LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//'; }
for path in "${!_kctl_options[@]}"; do
	# shellcheck disable=SC2086 # word lists
	[ -n "${_kctl_commands[$path]-}" ] && expect "$path " "$(sorted ${_kctl_commands[$path]})"
	# shellcheck disable=SC2086
	[ "$path" != kctl ] && expect "$path -" "$(sorted ${_kctl_options[$path]} ${_kctl_options[kctl]})"
done
[ "${#_kctl_options[@]}" -ge 17 ] || { echo "FAIL: only ${#_kctl_options[@]} commands"; failed=1; }
[ "$failed" = 0 ] && echo "all completions as expected"
exit "$failed"
