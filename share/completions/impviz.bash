# bash completion for impviz                                 -*- shell-script -*-
# Installed as $datadir/bash-completion/completions/impviz. Plain compgen only, so it
# works with or without the bash-completion package. tests/e2e/completion.py keeps the
# option lists below in step with `impviz --help` and `impviz diff --help`.

# Appends compgen's matches to COMPREPLY, one per line, so that names with spaces survive.
_impviz_paths() {
    local path
    while IFS= read -r path; do
        COMPREPLY+=("$path")
    done < <(compgen "$@")
}

_impviz() {
    local cur prev words cword
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD

    local opts='--output= --format= --check --layout= --rankdir= --exclude= --root=
        --no-legend --no-gitignore --follow-symlinks --jobs= --max-file-size=
        --max-modules= --quiet --verbose --version --entry= --depth= --focus= --up=
        --down= --only= --cycles-only --externals --externals= --no-stdlib --reverse
        --theme= --link= --cache-dir= --cache-local --no-cache --baseline=
        --write-baseline= --fail-on= --config= --no-config --timeout= --max-edges=
        --max-simulation= --help'
    local formats='text json dot gv svg png pdf html sarif github markdown md mermaid mmd'
    local layouts='auto dot neato fdp sfdp circo twopi osage patchwork'

    # "--opt=value" arrives as three words: --opt, =, value.
    local opt=$prev value=$cur
    if [[ $cur == = ]]; then
        opt=$prev value=
    elif [[ $prev == = && $cword -ge 2 ]]; then
        opt=${words[cword - 2]}
    elif [[ $cur == --*=* ]]; then
        opt=${cur%%=*} value=${cur#*=}
    fi

    local i subcommand=
    for ((i = 1; i < cword; i++)); do
        [[ ${words[i]} == diff ]] && subcommand=diff && break
        [[ ${words[i]} != -* ]] && break
    done
    [[ $subcommand == diff ]] && opts="--git= $opts"

    case $opt in
    -T | --format)
        COMPREPLY=($(compgen -W "$formats" -- "$value")) && return ;;
    --layout)
        COMPREPLY=($(compgen -W "$layouts" -- "$value")) && return ;;
    --rankdir)
        COMPREPLY=($(compgen -W 'TB LR BT RL' -- "$value")) && return ;;
    --externals)
        [[ $prev == = || $cur == *=* ]] &&
            COMPREPLY=($(compgen -W 'none top all' -- "$value")) && return ;;
    --fail-on)
        COMPREPLY=($(compgen -W 'cycle error' -- "$value")) && return ;;
    --theme)
        COMPREPLY=($(compgen -W 'light dark colorblind' -- "$value"))
        _impviz_paths -f -X '!*.theme' -- "$value" && return ;;
    -o | --output | --baseline | --write-baseline | --config)
        _impviz_paths -f -- "$value" && return ;;
    --root | --cache-dir)
        _impviz_paths -d -- "$value" && return ;;
    --git | --exclude | --only | --focus | --entry | --link | -j | --jobs | --depth | --up | \
        --down | --timeout | --max-file-size | --max-modules | --max-edges | --max-simulation)
        return ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        # An option that takes a value gets no space after its "=".
        [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi
    if [[ $cword -eq 1 ]]; then
        COMPREPLY=($(compgen -W diff -- "$cur"))
    fi
    _impviz_paths -f -- "$cur"
} &&
    complete -o filenames -F _impviz impviz
