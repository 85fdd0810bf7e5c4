# A test whose tool is missing: it fails, saying what to install, so that it
# is never silently left out of the run. WHY names the tool and its package.
message(FATAL_ERROR "missing: ${WHY}; tools/install-deps installs it")
