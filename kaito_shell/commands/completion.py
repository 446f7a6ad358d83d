"""`completion bash|zsh|fish|powershell`: the script that makes the user's shell complete kaito's commands by asking
kaito itself (kaito_shell/app/complete.py)."""

from __future__ import annotations

from kaito_shell.exec.executor import Invocation
from kaito_shell.output.result import Result

SCRIPTS = {
    "bash": """# kaito completion for bash: source <(kaito completion bash)
_kaito_complete() {
    local line="${COMP_LINE:0:COMP_POINT}" cur="${COMP_WORDS[COMP_CWORD]}"
    local partial="${line##*[[:space:]]}"  # the word being typed as kaito splits it (bash also splits at = and :)
    local strip="${partial%"$cur"}" IFS=$'\\n' text
    COMPREPLY=()
    for text in $(kaito __complete-line "$line" 2>/dev/null | cut -f1); do
        text="${text#"$strip"}"
        case "$text" in */|*=|*,) ;; *) text="$text " ;; esac  # no space after a prefix that goes on
        COMPREPLY+=("$text")
    done
}
complete -o default -o nospace -F _kaito_complete kaito
""",
    "zsh": """#compdef kaito
# kaito completion for zsh: source <(kaito completion zsh)
_kaito() {
    local -a lines items
    lines=("${(@f)$(kaito __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    local line
    for line in $lines; do
        [[ -n $line ]] && items+=("${${line%%$'\\t'*}//:/\\\\:}:${line#*$'\\t'}")
    done
    _describe 'kaito' items
}
compdef _kaito kaito
""",
    "fish": """# kaito completion for fish: kaito completion fish | source
complete -c kaito -f -a '(kaito __complete (commandline -opc)[2..-1] (commandline -ct) 2>/dev/null)'
""",
    "powershell": """# kaito completion for PowerShell: kaito completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName kaito -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $line = $commandAst.ToString()
    $line = $line.Substring(0, [Math]::Min($line.Length, $cursorPosition - $commandAst.Extent.StartOffset))
    if ($wordToComplete -eq '' -and -not $line.EndsWith(' ')) { $line += ' ' }
    kaito __complete-line $line 2>$null | ForEach-Object {
        $text, $help = $_ -split "`t", 2
        $insert = $(if ($text -match '\\s') { "'" + $text + "'" } else { $text })
        [System.Management.Automation.CompletionResult]::new($insert, $text, 'ParameterValue', $(if ($help) { $help } else { $text }))
    }
}
""",}


def completion(inv: Invocation) -> Result:
    inv.env.stdout.write(SCRIPTS[inv.args["shell"]])
    inv.env.stdout.flush()
    return Result.nothing()
