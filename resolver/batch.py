"""Many blueprints at once: `-j N` resolves a batch in worker processes.

The output is the same, in the same order, as resolving the blueprints one after the other in one
session (`-j 1`): results come back in the order the paths were added, and every worker builds its
sessions from the same options as the parent's (the project config already applied to them).
A session's caches only save work, they change no answer, so which process resolved a blueprint
does not show.

    batch = Batch(jobs=args.jobs)
    key = batch.session(session, args, "resolver")  # after cli.session_from(args, ...) built it
    for path in args.blueprints:
        batch.add(key, path)
    results = batch.run()            # or, one at a time: for result in batch.results(): ...

The parent resolves the first blueprint itself, so that on Linux the workers, forked from it,
start with the modules imported, the schemas compiled and the parent's sessions themselves, whose
caches already hold what that blueprint read (Cloudify's types, the import rules, the registries'
listings): a forked worker builds nothing again. A batch too small to pay for a worker's
start (`MIN_PER_WORKER` blueprints each) starts none. Only what rendering needs comes back from a
worker, a chunk of results at a time: the import walk's record is left there; the plans' values come
as plain dicts and lists, without the positions the checks read (`_packed`). A result keeps its node
graph (`Result.graph`, the node model the lifecycle plans are computed from) only with `keep_graph`,
whichever process resolved it: a caller of `run()` holds every result to the end, and their graphs
were over a fifth of a -j 1 corpus batch's memory.

This module imports nothing heavy: the CLI imports it to declare `-j`.
"""
from __future__ import annotations

import os
import sys

CHUNKS_PER_WORKER = 16  # chunks of a worker's region: small enough that the last ones even out the end
# A worker's start (a fork, its session, its caches filled again) costs about what the warm parent
# needs for a few small blueprints: fewer than this many per worker are resolved in the parent.
MIN_PER_WORKER = 4


def default_jobs() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def add_jobs_option(parser) -> None:
    """`-j/--jobs N` on an argparse parser (default: the number of cores)."""
    parser.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N",
                        help="resolve the blueprints in N worker processes; the output is the same for any N "
                             "(default: the number of cores)")


def _jobs(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


class Verdicts:
    """`results` passed through one by one, remembering whether every one was ok: the exit status
    of a command that prints each result as it comes and keeps none."""

    def __init__(self, results) -> None:
        self._results = results
        self.ok = True

    def __iter__(self):
        for result in self._results:
            if not result.ok:
                self.ok = False
            yield result


class Recipe:
    """How a worker process builds a session equal to the parent's: `cli.session_from` over a
    copy of the parsed options, with the project config already applied, so no config is looked
    for again (the worker would find the same one; a changed file must not split a batch)."""

    def __init__(self, args, prog: str, default_root: str | None = None) -> None:
        self.args = type(args)(**vars(args))  # a shallow copy of the argparse.Namespace
        self.args.config, self.args.no_config = None, True
        self.prog = prog
        self.default_root = default_root

    def build(self):
        from .cli import session_from

        session = session_from(self.args, self.prog, (), default_root=self.default_root)
        if session is None:  # the parent built it from the same options a moment ago
            raise RuntimeError(f"{self.prog}: a worker could not build the session the parent built")
        return session


class Batch:
    """Blueprints to resolve, each with a session; `run()` resolves them with up to `jobs`
    processes and returns their `Result`s in the order they were added, `results()` gives them
    in that order one by one as they are made."""

    def __init__(self, jobs: int | None = None, *, keep_graph: bool = False, owns_process: bool = False) -> None:
        """`owns_process`: the caller is a command that renders the results and exits (the CLI, the
        hook), so what a batch's sessions keep lasts to the end of the process: it is moved out
        of the cyclic collector's sight (`gc.freeze`) rather than scanned once the batch is over,
        and glibc's malloc gives big blocks back as they are freed (`heap.claim`). A library
        caller leaves it False; its process's collector and allocator are not touched."""
        self.jobs = jobs or default_jobs()
        self.keep_graph = keep_graph
        self.owns_process = owns_process
        if owns_process:  # big blocks freed back to the system as they go (heap.py)
            from . import heap

            heap.claim()
        self.sessions: list = []
        self.recipes: list[Recipe] = []
        self.tasks: list[tuple[int, str, tuple[str, ...]]] = []

    def session(self, session, args, prog: str, default_root: str | None = None) -> int:
        """Register `session`, built by `cli.session_from(args, prog, ..., default_root=...)`;
        returns the key `add` takes."""
        self.sessions.append(session)
        self.recipes.append(Recipe(args, prog, default_root))
        return len(self.sessions) - 1

    def add(self, key: int, path: str, search_paths=()) -> None:
        """Resolve `path` with session `key`; `search_paths` as `Resolver.resolve` takes them."""
        self.tasks.append((key, path, tuple(map(os.fspath, search_paths))))

    def run(self) -> list:
        """Every result, in the order the paths were added (`results()` as a list)."""
        return list(self.results())

    def results(self):
        """The results one by one, in the order the paths were added, each given as soon as it
        and every one before it are resolved. A caller that renders each and lets it go (the CLI,
        the hook) holds one result at a time at -j 1, where `run()` holds the whole batch's (a
        -j 1 corpus batch: 130 MB against 100 MB; rendered to JSON at once, 710 MB). Closing
        the iterator early stops the workers."""
        if not self.tasks:
            return
        from .load import paused_gc

        yield self._here(self.tasks[0])
        rest = self.tasks[1:]
        workers = min(self.jobs, len(rest) // MIN_PER_WORKER)
        # Each resolve pauses the cyclic collector (load.paused_gc); between two of them it would
        # run, and every few blueprints scan the whole heap, which the session's parse cache (and
        # whatever results the caller keeps) keep growing: about a tenth of a corpus batch.
        # Resolving makes next to no cycles (the corpus batch leaves some 10,000 objects for the
        # collector), so the collector stays paused for the whole batch, the caller's rendering
        # between two results included. Once it is back, its first collection would scan
        # everything the batch made (a corpus batch: ~400,000 objects), which a process that only
        # prints and exits can spare.
        with paused_gc():
            if workers <= 1:
                for task in rest:
                    yield self._here(task)
            else:
                yield from self._in_workers(rest, workers)
            if self.owns_process:
                import gc

                gc.freeze()

    def _here(self, task: tuple[int, str, tuple[str, ...]]):
        key, path, search_paths = task
        result = self.sessions[key].resolve(path, search_paths=search_paths)
        if self.keep_graph or result.graph is None:
            return result
        from . import records

        return records.replace(result, graph=None)

    def _in_workers(self, tasks: list[tuple[int, str, tuple[str, ...]]], workers: int):
        """The results of `tasks`, in order, resolved by `workers` processes: each chunk's as soon
        as every chunk before it has come back."""
        import multiprocessing
        import threading
        from multiprocessing.connection import wait

        # Forking a process that runs other threads can copy a lock held by one of them; only a
        # single-threaded parent forks, anything else starts fresh interpreters.
        method = "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"
        context = multiprocessing.get_context(method)
        schedule = _Schedule(len(tasks), workers)
        for stream in (sys.stdout, sys.stderr):  # a forked child must not print the parent's buffer again
            stream.flush()
        global _forked_sessions
        # a forked worker finds the parent's sessions in this module's globals (a spawned one builds
        # its own from the recipes)
        _forked_sessions = self.sessions if method == "fork" else None
        ready: dict[int, list] = {}  # a chunk's results, until every chunk before it is given out
        next_out = 0  # the first chunk not given out yet
        pipes, processes, busy = [], [], {}  # busy: a worker's pipe -> (worker, the chunk it resolves)
        done = False
        try:
            for _ in range(workers):
                here, there = context.Pipe()
                process = context.Process(target=_work, args=(there, self.recipes, self.keep_graph), daemon=True)
                process.start()
                there.close()  # the worker's end is the worker's: its death reads as the end of the pipe here
                pipes.append(here)
                processes.append(process)
            _forked_sessions = None

            def give(worker: int) -> None:
                index = schedule.next_for(worker)
                if index is None:
                    pipes[worker].send(None)  # nothing left: the worker ends
                else:
                    start, stop = schedule.chunks[index]
                    pipes[worker].send(tasks[start:stop])
                    busy[pipes[worker]] = (worker, index)

            for worker in range(workers):
                give(worker)
            while busy:
                for pipe in wait(list(busy)):
                    worker, index = busy.pop(pipe)
                    try:
                        sent = pipe.recv_bytes()
                    except EOFError:
                        processes[worker].join(5)
                        raise RuntimeError(f"a worker process stopped (exit code {processes[worker].exitcode}) "
                                           f"while resolving {tasks[schedule.chunks[index][0]][1]} or the "
                                           "blueprints after it") from None
                    if sent[:1] != _RESULTS:
                        raise RuntimeError(sent[1:].decode("utf-8", "replace"))
                    ready[index] = _unpacked(memoryview(sent)[1:])
                    give(worker)  # before the caller gets anything: the worker goes on meanwhile
                    while next_out in ready:
                        yield from ready.pop(next_out)
                        next_out += 1
            done = True
        finally:
            _forked_sessions = None
            for pipe in pipes:
                pipe.close()
            for process in processes:
                if not done:  # a failure or Ctrl-C: the others' work is not wanted
                    process.terminate()
                process.join()


class _Schedule:
    """Which chunk of a batch each worker resolves next.

    The batch is cut into chunks (`per_worker` for each worker), and the chunks into one region
    of neighbouring chunks per worker. A worker goes through its own region from the front: the
    blueprints of one folder, next to each other in the batch as `git ls-files` or a glob lists
    them, most often import the same documents, which the worker's session then reads and
    prepares once, where chunks dealt in turn would have every worker meet nearly every
    document. A worker whose region is done takes the last chunk of the region with the most
    left, so that the workers finish together.
    """

    def __init__(self, count: int, workers: int, per_worker: int = CHUNKS_PER_WORKER) -> None:
        size = -(-count // (workers * per_worker))
        self.chunks = [(start, min(start + size, count)) for start in range(0, count, size)]
        cuts = [len(self.chunks) * worker // workers for worker in range(workers + 1)]
        # each region as [next chunk, end): taken from the front by its worker, from the end by others
        self.regions = [[cuts[worker], cuts[worker + 1]] for worker in range(workers)]

    def next_for(self, worker: int) -> int | None:
        """The index of the chunk `worker` resolves next, None when all are taken."""
        region = self.regions[worker]
        if region[0] < region[1]:
            region[0] += 1
            return region[0] - 1
        fullest = max(self.regions, key=lambda other: other[1] - other[0])
        if fullest[0] == fullest[1]:
            return None
        fullest[1] -= 1
        return fullest[1]


# -- in a worker process ---------------------------------------------------------------------------

_recipes: list[Recipe] = []
_sessions: dict[int, object] = {}
# the parent's sessions, as a forked worker inherits them (None in the parent and in a spawned worker)
_forked_sessions: list | None = None
_keep_graph = False


def _start_worker(recipes: list[Recipe], keep_graph: bool) -> None:
    global _recipes, _keep_graph
    import signal

    # Ctrl-C reaches the whole process group: the parent stops the batch, workers stay quiet.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker lives for one batch, as -j 1's batch does with the cyclic collector paused (see
    # `Batch.run`): off here too, or it would scan the session's growing caches every few
    # blueprints, and what a forked worker inherits is never scanned (nor copied for the scan).
    import gc

    gc.freeze()
    gc.disable()
    from . import heap

    heap.claim()  # the worker is the command's too, forked or spawned (heap.py)
    _recipes, _keep_graph = recipes, keep_graph
    _sessions.clear()


# What a worker's message to the parent starts with: its chunk's results, or why it failed.
_RESULTS, _FAILED = b"r", b"f"


def _work(pipe, recipes: list[Recipe], keep_graph: bool) -> None:
    """A worker's life: chunks of tasks come down `pipe`, each chunk's results go back packed in one
    message (`_packed`), until None comes (or the parent is gone)."""
    _start_worker(recipes, keep_graph)
    while True:
        try:
            tasks = pipe.recv()
        except EOFError:
            return
        if tasks is None:
            return
        try:
            message = _RESULTS + _resolve_chunk(tasks)
        except Exception as exc:  # a bug of ours: the parent stops the batch and reports it as its own
            import traceback

            message = _FAILED + (f"a worker failed: {type(exc).__name__}: {exc}\n"
                                 + "".join(traceback.format_exc()[-2000:])).encode("utf-8", "replace")
        pipe.send_bytes(message)


def _resolve_chunk(tasks: list[tuple[int, str, tuple[str, ...]]]) -> bytes:
    """The results of `tasks`, in order, packed for the parent in one piece (`_packed`)."""
    return _packed([_resolve(task) for task in tasks])


def _resolve(task: tuple[int, str, tuple[str, ...]]):
    from . import records

    key, path, search_paths = task
    session = _sessions.get(key)
    if session is None:
        inherited = _forked_sessions[key] if _forked_sessions is not None else None
        session = _sessions[key] = inherited or _recipes[key].build()
    result = session.resolve(path, search_paths=search_paths)
    return records.replace(result, imports=None, graph=result.graph if _keep_graph else None)


# -- between the two -------------------------------------------------------------------------------

_PLAIN_VALUES: dict | None = None  # the reducers `_packed` pickles with, made on first use


def _packed(results: list) -> bytes:
    """A worker's `results` pickled for the parent in one piece, so that what they share (the
    records of the kept documents' types, met in blueprint after blueprint) is sent once, with
    the loaded document's mappings and sequences (`load.Map`, `load.Seq`) as plain dicts and
    lists: the commands render a plan's values, never their positions, and a Map's own pickling
    (its entries' marks, a Python call for each of the ~150,000 Maps of a corpus batch) cost a
    third of the sending. Objects met twice stay one object, as pickle keeps them."""
    global _PLAIN_VALUES
    import copyreg
    import io
    import pickle

    if _PLAIN_VALUES is None:
        from .load import Map, Seq

        _PLAIN_VALUES = {**copyreg.dispatch_table, Map: _as_dict, Seq: _as_list}
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _PLAIN_VALUES
    pickler.dump(results)
    return buffer.getvalue()


def _as_dict(mapping: dict) -> tuple:
    return dict, (dict(mapping),)


def _as_list(sequence: list) -> tuple:
    return list, (list(sequence),)


def _unpacked(sent: bytes) -> list:
    """A worker's results, as `_packed` sent them."""
    import pickle

    return pickle.loads(sent)  # noqa: S301 - bytes our own worker process pickled
