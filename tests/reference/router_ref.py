"""Plain-Python twin of the mesh network-on-chip (emulator/router), written from docs/router.md.

Obvious and slow: every cycle from 0, every router, deques as FIFOs, a list of packets in
flight, and each cycle's grants decided on a snapshot of the FIFO occupancies before any
of them is applied. It shares no code with the kernel; only the contract:

* router r at (r % W, r // W); ports N=0 (+y), E=1 (+x), S=2, W=3, L=4 (the core);
* XY routing; a packet granted at cycle t reaches the next FIFO (or the core) at t + latency;
* a FIFO accepts (from a link or a source) while its packets + packets in flight to it < depth;
* per output, round robin from the input after the one granted last;
* a source writes one packet per cycle; its j-th is due at max(ready_j + S, previous + 1),
  S = (cycle written - ready) of its previous packet.
"""
from collections import deque

N, E, S, W, L = range(5)
STEP = {N: (0, 1), E: (1, 0), S: (0, -1), W: (-1, 0)}
OPPOSITE = {N: S, S: N, E: W, W: E}


def xy_route(x, y, xd, yd):
    if xd != x:
        return E if xd > x else W
    if yd != y:
        return N if yd > y else S
    return L


def route_step_ref(width, height, depth, latency, sources, rr):
    """Route one timestep's packets.

    ``sources``: list of (router, input port, [(ready, destination router), ...]) in sending
    order; ``rr``: dict (router, output) -> input granted last, updated in place.
    Returns a dict: ``arrival`` and ``injected`` (per source, the list of cycles), ``stall``
    (per source, S after its last packet), ``stalls``, ``inj_stalls``, ``link_load`` and
    ``max_fifo`` (dicts keyed (router, port)), ``last_arrival`` and ``trace`` (a set of
    (cycle, router, output, packet number in source order) for every grant).
    """
    n_routers = width * height
    fifos = {(r, p): deque() for r in range(n_routers) for p in range(5)}
    in_flight = []                         # [landing cycle, (router, port), packet]
    packets = []                           # [source, index, destination, arrival]
    for s, (_, _, pk) in enumerate(sources):
        for i, (_, dst) in enumerate(pk):
            packets.append({"id": len(packets), "dst": dst, "arrival": None, "injected": None, "src": s})
    by_src = [[p for p in packets if p["src"] == s] for s in range(len(sources))]
    nxt = [0] * len(sources)
    due = [pk[0][0] if pk else None for _, _, pk in sources]
    stall = [0] * len(sources)
    res = {"stalls": 0, "inj_stalls": 0, "link_load": {}, "max_fifo": {f: 0 for f in fifos}, "trace": set()}
    remaining, t = len(packets), 0

    def occupancy(f):
        return len(fifos[f]) + sum(1 for x in in_flight if x[1] == f)

    while remaining:
        for x in [x for x in in_flight if x[0] == t]:               # 1. land
            in_flight.remove(x)
            fifos[x[1]].append(x[2])
        for s, (r, port, pk) in enumerate(sources):                  # 2. inject
            if nxt[s] < len(pk) and due[s] <= t:
                if occupancy((r, port)) < depth:
                    fifos[(r, port)].append(by_src[s][nxt[s]])
                    by_src[s][nxt[s]]["injected"] = t
                    stall[s] = t - pk[nxt[s]][0]
                    nxt[s] += 1
                    if nxt[s] < len(pk):
                        due[s] = max(pk[nxt[s]][0] + stall[s], t + 1)
                else:
                    res["inj_stalls"] += 1
        for f, q in fifos.items():
            res["max_fifo"][f] = max(res["max_fifo"][f], len(q))
        occ = {f: len(q) for f, q in fifos.items()}                   # 3. decide on a snapshot
        for x in in_flight:
            occ[x[1]] += 1
        moves = []
        for r in range(n_routers):
            x, y = r % width, r // width
            for o in range(5):
                want = [p for p in range(5) if fifos[(r, p)] and
                        xy_route(x, y, fifos[(r, p)][0]["dst"] % width, fifos[(r, p)][0]["dst"] // width) == o]
                if not want:
                    continue
                down = None
                if o != L:
                    dx, dy = STEP[o]
                    down = ((y + dy) * width + x + dx, OPPOSITE[o])
                    if occ[down] >= depth:
                        res["stalls"] += len(want)
                        continue
                last = rr.get((r, o), L)
                winner = next(p for p in [(last + i) % 5 for i in range(1, 6)] if p in want)
                rr[(r, o)] = winner
                res["stalls"] += len(want) - 1
                moves.append((r, o, winner, down))
        for r, o, p, down in moves:                                   # 4. apply
            pkt = fifos[(r, p)].popleft()
            res["link_load"][(r, o)] = res["link_load"].get((r, o), 0) + 1
            res["trace"].add((t, r, o, pkt["id"]))
            if o == L:
                pkt["arrival"] = t + latency
                remaining -= 1
            else:
                in_flight.append([t + latency, down, pkt])
        t += 1
    res["arrival"] = [[p["arrival"] for p in by_src[s]] for s in range(len(sources))]
    res["injected"] = [[p["injected"] for p in by_src[s]] for s in range(len(sources))]
    res["stall"] = stall
    res["last_arrival"] = max((p["arrival"] for p in packets), default=0)
    return res


def step_sources_ref(image, spikes, deliver, host_ids, neuron_update, spike_out):
    """One timestep's sources for ``route_step_ref`` from a ChipImage (plain loops).

    ``spikes``: neuron ids that spiked this step; ``deliver``: per core, the deliver-phase
    cycles; ``host_ids``: host sources that spiked this step. Cores first (source c = core c,
    at its router's L port), then the host (router 0's W port). Packet j of core c, sent by
    its local neuron i, is ready at deliver[c] + (i + 1) * neuron_update + (j + 1) * spike_out;
    host packet k at cycle k.
    """
    width = image.chip.mesh_width
    router = [int(y) * width + int(x) for x, y in image.core_xy]
    axon_router = {}
    for c in range(image.n_cores):
        for a in range(int(image.axon_ptr[c]), int(image.axon_ptr[c + 1])):
            axon_router[a] = router[c]
    sources = []
    for c in range(image.n_cores):
        lo, hi = int(image.neuron_ptr[c]), int(image.neuron_ptr[c + 1])
        pk = []
        for nid in sorted(n for n in spikes if lo <= n < hi):
            for e in range(int(image.out_ptr[nid]), int(image.out_ptr[nid + 1])):
                ready = deliver[c] + (nid - lo + 1) * neuron_update + (len(pk) + 1) * spike_out
                pk.append((ready, axon_router[int(image.out_axon[e])]))
        sources.append((router[c], L, pk))
    pk = []
    for h in host_ids:
        for e in range(int(image.host_out_ptr[h]), int(image.host_out_ptr[h + 1])):
            pk.append((len(pk), axon_router[int(image.host_out_axon[e])]))
    sources.append((0, W, pk))
    return sources
