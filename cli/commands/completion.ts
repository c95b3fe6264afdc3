// skiff completion bash|zsh: a completion script generated from the registered verbs and
// their flags; resource types from api/resources, object names asked of the cluster at
// completion time (skiff get TYPE -o jsonpath=...), as kubectl's completion does.
// zsh loads the bash function through bashcompinit, as kubectl's first zsh script did.
import { Command } from 'commander';
import { RESOURCES } from '../../api/resources.js';
import { CliError } from '../errors.js';
import { runLocal } from '../verb.js';

const RESOURCE_VERBS = ['get', 'describe', 'delete'];

function flagsOf(cmd: Command): { all: string[]; withValue: string[] } {
  const all: string[] = [];
  const withValue: string[] = [];
  for (const o of cmd.options) {
    for (const f of [o.short, o.long]) {
      if (!f) continue;
      all.push(f);
      if (o.required || o.optional) withValue.push(f);
    }
  }
  return { all, withValue };
}

function resourceWords(): string[] {
  const words = new Set<string>();
  for (const r of RESOURCES) {
    words.add(r.plural);
    words.add(r.singular);
    for (const s of r.shortNames) words.add(s);
  }
  return [...words].sort();
}

export function bashCompletion(program: Command): string {
  const verbs = program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  const names = verbs.map((c) => c.name());
  const flagCases = verbs.map((c) => `      ${c.name()}) COMPREPLY=($(compgen -W "${flagsOf(c).all.join(' ')}" -- "$cur")) ;;`).join('\n');
  const valueFlags = [...new Set(verbs.flatMap((c) => flagsOf(c).withValue))].join('|');
  const subCases = verbs
    .filter((c) => c.commands.length > 0)
    .map((c) => `      ${c.name()}) COMPREPLY=($(compgen -W "${c.commands.map((s) => s.name()).join(' ')}" -- "$cur")) ;;`)
    .join('\n');
  return `# bash completion for skiff                                  -*- shell-script -*-
# Load it with: source <(skiff completion bash)

__skiff_names() {
  skiff get "$1" -o 'jsonpath={.items[*].metadata.name}' 2>/dev/null
}

_skiff() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local verb="\${COMP_WORDS[1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W "${names.join(' ')}" -- "$cur"))
    return
  fi
  case "$prev" in
    -n|--namespace) COMPREPLY=($(compgen -W "$(__skiff_names namespaces)" -- "$cur")); return ;;
    -o|--output) COMPREPLY=($(compgen -W "wide yaml json name jsonpath=" -- "$cur")); return ;;
    -f|--filename|--kubeconfig) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --context) COMPREPLY=($(compgen -W "$(skiff config get-contexts 2>/dev/null | awk 'NR>1 {print ($1=="*") ? $2 : $1}')" -- "$cur")); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    case "$verb" in
${flagCases}
    esac
    return
  fi
  local i word type="" skip=0 operands=0
  for ((i=2; i<COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ $skip -eq 1 ]]; then skip=0; continue; fi
    case "$word" in
      ${valueFlags || '--no-such-flag'}) skip=1 ;;
      -*) ;;
      *) operands=$((operands+1)); [[ -z "$type" ]] && type="$word" ;;
    esac
  done
  case "$verb" in
    ${RESOURCE_VERBS.join('|')})
      if [[ -z "$type" ]]; then
        COMPREPLY=($(compgen -W "${resourceWords().join(' ')}" -- "$cur"))
      else
        COMPREPLY=($(compgen -W "$(__skiff_names "$type")" -- "$cur"))
      fi ;;
    logs)
      [[ $operands -eq 0 ]] && COMPREPLY=($(compgen -W "$(__skiff_names pods)" -- "$cur")) ;;
    completion)
      COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;
${subCases}
  esac
}

complete -o default -F _skiff skiff
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef skiff
# zsh completion for skiff. Load it with: source <(skiff completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}

export function completionCommand(program: () => Command): Command {
  return new Command('completion')
    .description('Print a shell completion script: source <(skiff completion bash)')
    .argument('<shell>', 'bash or zsh')
    .action(async (shell: string) =>
      runLocal((io) => {
        if (shell === 'bash') io.stdout.write(bashCompletion(program()));
        else if (shell === 'zsh') io.stdout.write(zshCompletion(program()));
        else throw new CliError(`Unsupported shell type "${shell}": use bash or zsh`);
      }),
    );
}
