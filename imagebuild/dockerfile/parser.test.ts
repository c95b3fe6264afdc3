import { describe, expect, it } from 'vitest';
import { planDockerfile, targetStage } from './instructions.js';
import { DockerfileSyntaxError, parseDockerfile } from './parser.js';

describe('parseDockerfile', () => {
  it('joins continuations, drops comments and blank lines inside them, keeps line numbers', () => {
    const p = parseDockerfile(['FROM busybox', '', '# a comment', 'RUN echo a \\', '  # inside', '', '  && echo b', 'run echo c'].join('\n'));
    expect(p.lines.map((l) => [l.keyword, l.args, l.line])).toEqual([
      ['FROM', 'busybox', 1],
      ['RUN', 'echo a   && echo b', 4],
      ['RUN', 'echo c', 8],
    ]);
  });

  it('reads the escape and syntax directives only at the very top', () => {
    const p = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo ok\n');
    expect(p.directives).toEqual({ escape: '`', syntax: 'docker/dockerfile:1' });
    expect(p.lines[1].args).toBe('dir c:\\   && echo ok');
    // After an instruction, a directive is only a comment.
    expect(parseDockerfile('FROM x\n# escape=`\nRUN a \\\n b\n').lines[1].args).toBe('a  b');
    expect(() => parseDockerfile('# escape=x\nFROM a')).toThrow(/invalid escape token/);
    expect(() => parseDockerfile('# escape=`\n# escape=\\\nFROM a')).toThrow(/only one escape/);
  });

  it('separates flags and recognises the JSON (exec) form', () => {
    const p = parseDockerfile('FROM a\nCOPY --from=build --chown="1:2" /a /b\nCMD ["sh", "-c", "echo hi"]\nCMD [not json]\nENTRYPOINT ["a", 1]\n');
    expect(p.lines[1].flags).toEqual([
      { name: 'from', value: 'build' },
      { name: 'chown', value: '1:2' },
    ]);
    expect(p.lines[1].args).toBe('/a /b');
    expect(p.lines[2].json).toEqual(['sh', '-c', 'echo hi']);
    expect(p.lines[3].json).toBeUndefined();
    expect(p.lines[4].json).toBeUndefined();
  });

  it('a RUN flag-like word after the command is part of the command', () => {
    expect(parseDockerfile('FROM a\nRUN ls --all\n').lines[1]).toMatchObject({ args: 'ls --all', flags: [] });
  });
});

describe('planDockerfile', () => {
  it('splits stages, names them case-insensitively and keeps ARGs before FROM apart', () => {
    const plan = planDockerfile(parseDockerfile('ARG V=1\nFROM a:$V AS Build\nRUN x\nFROM build\nCOPY --from=build /a /a\n'));
    expect(plan.globalArgs.map((l) => l.args)).toEqual(['V=1']);
    expect(plan.stages.map((s) => [s.name, s.baseText, s.lines.length])).toEqual([
      ['build', 'a:$V', 1],
      [undefined, 'build', 1],
    ]);
    expect(targetStage(plan, 'BUILD').index).toBe(0);
    expect(targetStage(plan).index).toBe(1);
    expect(() => targetStage(plan, 'nope')).toThrow(/target stage "nope" could not be found/);
  });

  it('rejects what Docker rejects, with the line number', () => {
    const bad = (text: string, msg: RegExp) => {
      const run = () => planDockerfile(parseDockerfile(text));
      expect(run).toThrow(DockerfileSyntaxError);
      expect(run).toThrow(msg);
    };
    bad('RUN x\nFROM a\n', /Dockerfile:1: RUN before the first FROM/);
    bad('FROM a\nFETCH x\n', /Dockerfile:2: unknown instruction: FETCH/);
    bad('FROM a\nCOPY onlyone\n', /COPY requires at least two arguments/);
    bad('FROM a\nCOPY --form=x a b\n', /unknown flag: --form/);
    bad('FROM a AS x\nFROM b AS X\n', /duplicate stage name "x"/);
    bad('FROM a\nWORKDIR\n', /WORKDIR requires at least one argument/);
    bad('# just a comment\n', /no FROM instruction/);
  });
});
