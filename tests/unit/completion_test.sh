#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# completion_test.sh COMPLETION-SCRIPT - kctl's bash completion, with
# bash-completion's helpers: the words offered for a command line, table-driven.
set -u
# shellcheck source=/dev/null
. /usr/share/bash-completion/bash_completion
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
expect "kctl s" "set-msg sum"
expect "kctl " "add batch bench get-msg info list metrics module reset set-msg sum udev watch"
expect "kctl --tr" "--transport"
expect "kctl -t s" "sysfs"
expect "kctl --transport " "auto ioctl mmap proc sysfs uring"
expect "kctl metrics --te" "--textfile"
expect "kctl -t proc metrics --" "--device --help --json --textfile --transport --verbose --version"
expect "kctl udev " "install uninstall"
expect "kctl udev install -" "--device --dry-run --help --json --transport --verbose --version -V -d -h -j -n -t -v"
expect "kctl module " "load unload"
expect "kctl watch --c" "--count"
expect "kctl bench --ops s" "set-msg sum"
expect "kctl -t u" "uring"
expect "kctl batch -" "--device --help --json --transport --verbose --version -V -d -h -j -t -v"
[ "$failed" = 0 ] && echo "all completions as expected"
exit "$failed"
