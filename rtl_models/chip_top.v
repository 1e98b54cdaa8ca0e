// chip_top: NCORES cores (a 2 x 2 mesh by default), their packet network (NOC = 0: fixed latency;
// NOC = 1: a MESH_W x MESH_H mesh of XY routers), the host spike ports, the barrier and the cycle
// counters of a barrier-synchronous timestep.
//
// Model: emulator/engine (per timestep: deliver -> update on every core) and
// emulator/engine/accounting.py::step_cycles: a timestep lasts
//     max over cores (deliver + update + learn cycles) + BARRIER
// cycles. `step` starts every core in the same cycle; when all are done the barrier runs for
// BARRIER cycles (the first one is the cycle in which the last core is seen done), then `busy`
// falls and step_cycles holds the timestep's length.
//
// Network, NOC = 0 (the router's `fast` mode): a core's packet is registered for one cycle (the
// link), then written into the input FIFO of its destination core; every FIFO has a write port per
// core plus one for the host, so packets never wait and spike values and phase cycles do not
// depend on the network; BARRIER >= 2 makes sure the link is empty when a timestep ends.
// Host packets (host_core, host_axon) are written straight into the cores' FIFOs while idle.
//
// Network, NOC = 1 (the router's `cycle` mode, emulator/router/cycle.py; docs/router.md): mesh.v,
// a MESH_W x MESH_H mesh of router.v (input FIFOs of NOC_DEPTH packets, XY routing, round robin,
// one packet per output per cycle, NOC_LATENCY cycles per hop, credit backpressure).
//   Placement: core k sits at router place[k] (the mapper's ChipImage.core_xy), a permutation the
//   `load` pulse reads from <MEMDIR>/p<load_prog>/noc_place.mem (identity after reset): core k
//   injects into router place[k]'s local input, a packet for core d goes to router place[d], and
//   router place[k]'s local output writes core k's event FIFO (its one write port). A packet
//   carries {source core, destination axon}.
//   Backpressure: while its router has no room the core's datapath waits (core.v out_ready), so
//   it finishes that many cycles later.
//   Host: packets written while idle wait in a host queue of 2^HOST_AW packets and, from the step
//   edge on, enter the west input of router (0, 0) one per cycle while it has room (the model's
//   host packets ready at cycles 0, 1, 2, ...); a host spike emitted at timestep t is sent before
//   timestep t starts, crosses the mesh during t and is delivered at t + 1.
//   Barrier: it starts in the first cycle in which every core is done and the network (queue,
//   FIFOs, pipeline stages) is empty, so a timestep lasts
//       max(max over cores (cycles + stall), last arrival) + BARRIER.
//   Arrival port `arr` (for the monitor), one register, LSB first: tick (toggles with every
//   update), valid[NCORES] (core k got a packet), cycle[32] (the arrival: the cycle, within the
//   timestep, after the edge at which the packets entered the cores' FIFOs), then per core k:
//   src[8] (source core, 255: the host), axon[16]. It changes only in cycles with an arrival (a
//   monitor wakes on its value change and reads it whole). NOC = 0 drives it to zero.
//
// Spike output = one (valid, neuron) pulse per core per spike.
`timescale 1ns / 1ps
`default_nettype none

module chip_top #(
    parameter integer NCORES = 4,           // cores (NOC = 1: one per router, placed by noc_place.mem)
    parameter integer NEURON_AW = 6,        // per core: neuron address bits
    parameter integer AXON_AW = 9,          // per core: input-axon address bits
    parameter integer SYN_AW = 12,          // per core: synapse address bits
    parameter integer OUT_AW = 10,          // per core: output-axon table address bits
    parameter integer RING_BITS = 4,        // per core: dendritic ring of 2^RING_BITS slots
    parameter integer FIFO_AW = 10,         // per core: input-axon event FIFO depth bits
    parameter integer C_AXON_EVENT = 4,     // cycles per input-axon event (chip YAML cycles.axon_event)
    parameter integer C_SYNOP = 1,          // cycles per synaptic op (cycles.synop)
    parameter integer C_NEURON_UPDATE = 2,  // cycles per neuron update (cycles.neuron_update)
    parameter integer C_SPIKE_OUT = 2,      // cycles per packet sent (cycles.spike_out)
    parameter integer BARRIER = 32,         // end-of-timestep barrier cycles (cycles.barrier), >= 2
    parameter integer NOC = 0,              // network: 0 fixed latency, 1 the XY-router mesh (chip.router.mode cycle)
    parameter integer MESH_W = 2,           // NOC = 1: routers per row; MESH_W * MESH_H = NCORES
    parameter integer MESH_H = 2,           // NOC = 1: rows of routers
    parameter integer NOC_DEPTH = 4,        // NOC = 1: packets per router input FIFO (chip.router.fifo_depth)
    parameter integer NOC_LATENCY = 2,      // NOC = 1: cycles per hop (chip.router.hop_latency)
    parameter integer HOST_AW = 10,         // NOC = 1: host queue of 2^HOST_AW packets (one timestep's)
    parameter integer HAS_ADAPT = 1,        // adaptive-threshold hardware in every neuron unit
    parameter integer HAS_DUAL = 1,         // separate inhibitory current in every neuron unit
    parameter integer HAS_LEARN = 1,        // a learning unit in every core (learning_unit.v); 0: none
    parameter integer RULE_AW = 3,          // per core: 2^RULE_AW learning rules
    parameter integer C_TRACE_UPDATE = 1,   // cycles per trace register update (cycles.trace_update)
    parameter integer C_LEARN_SYNAPSE = 2,  // cycles per plastic synapse update (cycles.learn_synapse)
    parameter integer C_LEARN_EPOCH = 16    // cycles per learning epoch of a core (cycles.learn_epoch)
) (
    input  wire                          clk,
    input  wire                          rst,         // synchronous, active high
    input  wire                          load,        // simulation only: load program load_prog
    input  wire [15:0]                   load_prog,
    input  wire                          step,        // run one timestep (sampled while busy is low)
    output wire                          busy,        // high from the step edge to the end of the barrier
    output wire [31:0]                   step_cycles, // cycles of the last timestep (cores + barrier)
    output wire [63:0]                   total_cycles,// cycles of every timestep since load/reset
    output wire [31:0]                   steps_run,   // timesteps since load/reset
    // host spike input: one packet per cycle while idle
    input  wire                          host_valid,
    input  wire [7:0]                    host_core,
    input  wire [15:0]                   host_axon,
    // spike output: per core, a pulse and the local neuron index of each spike
    output wire [NCORES-1:0]             spike_valid,
    output wire [NCORES*NEURON_AW-1:0]   spike_id,
    // packet arrivals (NOC = 1; see above)
    output wire [33+25*NCORES-1:0]       arr,
    // debug read port of core dbg_core (see core.v)
    input  wire [7:0]                    dbg_core,
    input  wire [2:0]                    dbg_sel,
    input  wire [15:0]                   dbg_addr,
    output wire [127:0]                  dbg_data
);

    localparam integer NW = (NOC != 0) ? 1 : NCORES + 1;    // FIFO write ports: the router, or every link and the host
    localparam integer DBG_W = 128;

    initial begin
        if (NCORES < 1 || NCORES > 255 || BARRIER < 2 || BARRIER > 65535 || AXON_AW > 16 || (NOC != 0 && NOC != 1)
            || (NOC == 1 && (MESH_W < 1 || MESH_H < 1 || MESH_W * MESH_H != NCORES || NOC_DEPTH < 1
                             || NOC_DEPTH > 256 || NOC_LATENCY < 1 || NOC_LATENCY > 64 || HOST_AW < 1 || HOST_AW > 16))) begin
            $display("ERROR: chip_top %m: illegal parameters (1 <= NCORES <= 255, 2 <= BARRIER, AXON_AW <= 16, NOC 0/1; NOC = 1: MESH_W * MESH_H = NCORES, NOC_DEPTH 1..256, NOC_LATENCY 1..64, HOST_AW 1..16)");
            $finish;
        end
    end

    // ------------------------------------------------------------------ cores and links
    wire [NCORES-1:0]           core_done;
    wire [NCORES-1:0]           out_valid;
    wire [NCORES*8-1:0]         out_core;
    wire [NCORES*AXON_AW-1:0]   out_axon;
    wire [NCORES*DBG_W-1:0]     core_dbg;
    wire [NCORES*NW-1:0]        core_in_valid;      // per core: the write ports of its event FIFO
    wire [NCORES*NW*AXON_AW-1:0] core_in_axon;
    wire [NCORES-1:0]           out_ready;          // per core: the network takes its packet at this edge
    wire                        net_empty;          // no packet on the way: the barrier may start

    localparam [1:0] T_IDLE = 2'd0, T_RUN = 2'd1, T_BAR = 2'd2;
    reg [1:0] state_reg, state_next;
    wire start = (state_reg == T_IDLE) && step;

    genvar g, s;
    generate
        for (g = 0; g < NCORES; g = g + 1) begin : g_core
            core #(
                .CORE_ID(g), .NEURON_AW(NEURON_AW), .AXON_AW(AXON_AW), .SYN_AW(SYN_AW), .OUT_AW(OUT_AW),
                .RING_BITS(RING_BITS), .FIFO_AW(FIFO_AW), .NW(NW), .CORE_BITS(8),
                .C_AXON_EVENT(C_AXON_EVENT), .C_SYNOP(C_SYNOP), .C_NEURON_UPDATE(C_NEURON_UPDATE),
                .C_SPIKE_OUT(C_SPIKE_OUT), .HAS_ADAPT(HAS_ADAPT), .HAS_DUAL(HAS_DUAL), .HAS_LEARN(HAS_LEARN),
                .RULE_AW(RULE_AW), .C_TRACE_UPDATE(C_TRACE_UPDATE), .C_LEARN_SYNAPSE(C_LEARN_SYNAPSE),
                .C_LEARN_EPOCH(C_LEARN_EPOCH), .DBG_W(DBG_W)
            ) u_core (
                .clk(clk), .rst(rst), .load(load), .load_prog(load_prog), .start(start), .done(core_done[g]),
                .in_valid(core_in_valid[g*NW +: NW]), .in_axon(core_in_axon[g*NW*AXON_AW +: NW*AXON_AW]),
                .out_ready(out_ready[g]),
                .out_valid(out_valid[g]), .out_core(out_core[g*8 +: 8]), .out_axon(out_axon[g*AXON_AW +: AXON_AW]),
                .spike_valid(spike_valid[g]), .spike_id(spike_id[g*NEURON_AW +: NEURON_AW]),
                .dbg_sel(dbg_sel), .dbg_addr(dbg_addr), .dbg_data(core_dbg[g*DBG_W +: DBG_W])
            );
        end
    endgenerate

    // ------------------------------------------------------------------ timestep sequencer
    reg [31:0] cyc_reg, cyc_next;           // cycles of the running timestep
    reg [31:0] last_reg, last_next;         // cycles of the last finished timestep
    reg [63:0] total_reg, total_next;
    reg [31:0] steps_reg, steps_next;
    reg [15:0] bar_reg, bar_next;           // barrier cycles done
    localparam integer BAR_LAST_I = BARRIER - 1;
    localparam [15:0] BAR_LAST = BAR_LAST_I[15:0];
    localparam [31:0] NCORES_W = NCORES;

    always @* begin
        state_next = state_reg; cyc_next = cyc_reg; last_next = last_reg; total_next = total_reg;
        steps_next = steps_reg; bar_next = bar_reg;
        case (state_reg)
            T_IDLE: if (step) begin state_next = T_RUN; cyc_next = 32'd0; end
            T_RUN: begin
                cyc_next = cyc_reg + 1'b1;
                if (&core_done && net_empty) begin state_next = T_BAR; bar_next = 16'd1; end   // barrier cycle 1
            end
            T_BAR: begin
                cyc_next = cyc_reg + 1'b1;
                bar_next = bar_reg + 1'b1;
                if (bar_reg == BAR_LAST) begin
                    state_next = T_IDLE; last_next = cyc_reg + 1'b1;
                    total_next = total_reg + {32'd0, cyc_reg} + 64'd1; steps_next = steps_reg + 1'b1;
                end
            end
            default: state_next = T_IDLE;
        endcase
    end

    always @(posedge clk) begin
        if (rst || load) begin
            state_reg <= T_IDLE; cyc_reg <= 32'd0; last_reg <= 32'd0; total_reg <= 64'd0; steps_reg <= 32'd0;
            bar_reg <= 16'd0;
        end else begin
            state_reg <= state_next; cyc_reg <= cyc_next; last_reg <= last_next; total_reg <= total_next;
            steps_reg <= steps_next; bar_reg <= bar_next;
        end
    end

    // ------------------------------------------------------------------ the network
    localparam [7:0] HOST_SRC = 8'hFF;      // source field of a host packet
    generate
        if (NOC == 0) begin : g_links
            reg [NCORES-1:0]         lnk_valid_reg;
            reg [NCORES*8-1:0]       lnk_core_reg;
            reg [NCORES*AXON_AW-1:0] lnk_axon_reg;
            always @(posedge clk) begin
                lnk_valid_reg <= (rst || load) ? {NCORES{1'b0}} : out_valid;
                lnk_core_reg <= out_core;
                lnk_axon_reg <= out_axon;
            end
            for (g = 0; g < NCORES; g = g + 1) begin : g_dst
                for (s = 0; s < NCORES; s = s + 1) begin : g_src
                    assign core_in_valid[g*NW + s] = lnk_valid_reg[s] && (lnk_core_reg[s*8 +: 8] == g);
                    assign core_in_axon[(g*NW + s)*AXON_AW +: AXON_AW] = lnk_axon_reg[s*AXON_AW +: AXON_AW];
                end
                assign core_in_valid[g*NW + NCORES] = host_valid && (host_core == g);
                assign core_in_axon[(g*NW + NCORES)*AXON_AW +: AXON_AW] = host_axon[AXON_AW-1:0];
            end
            assign out_ready = {NCORES{1'b1}};
            assign net_empty = 1'b1;
            assign arr = {(33 + 25 * NCORES){1'b0}};
        end else begin : g_noc
            localparam integer PW = 8 + AXON_AW;            // packet payload: source core, destination axon
            localparam integer HQ = 1 << HOST_AW;
            // host queue: written while idle, read from the step edge on
            reg [8+AXON_AW-1:0] hq_mem [0:HQ-1];            // {destination core, axon}
            reg [HOST_AW-1:0]   hq_rd_reg, hq_rd_next, hq_wr_reg, hq_wr_next;
            reg [HOST_AW:0]     hq_cnt_reg, hq_cnt_next;
            wire hq_ready;
            wire hq_offer = (hq_cnt_reg != {(HOST_AW + 1){1'b0}}) && (start || state_reg == T_RUN);
            wire hq_take = hq_offer && hq_ready;
            wire [8+AXON_AW-1:0] hq_head = hq_mem[hq_rd_reg];
            always @* begin
                hq_rd_next = hq_take ? hq_rd_reg + 1'b1 : hq_rd_reg;
                hq_wr_next = host_valid ? hq_wr_reg + 1'b1 : hq_wr_reg;
                hq_cnt_next = hq_cnt_reg + {{HOST_AW{1'b0}}, host_valid} - {{HOST_AW{1'b0}}, hq_take};
            end
            always @(posedge clk) begin
                if (rst || load) begin
                    hq_rd_reg <= {HOST_AW{1'b0}}; hq_wr_reg <= {HOST_AW{1'b0}}; hq_cnt_reg <= {(HOST_AW + 1){1'b0}};
                end else begin
                    hq_rd_reg <= hq_rd_next; hq_wr_reg <= hq_wr_next; hq_cnt_reg <= hq_cnt_next;
                    if (host_valid) hq_mem[hq_wr_reg] <= {host_core, host_axon[AXON_AW-1:0]};
`ifndef SYNTHESIS
                    if (host_valid && hq_cnt_reg == HQ[HOST_AW:0] && !hq_take)
                        $display("ERROR: chip_top %m: host queue overflow (raise HOST_AW)");
`endif
                end
            end

            // the routers; MUTANT_NOC_RR_RESET (a planted defect) resets them -- their arbiter
            // pointers -- in the last barrier cycle of every timestep, while the network is empty
`ifdef MUTANT_NOC_RR_RESET
            wire noc_rst = rst || load || (state_reg == T_BAR && bar_reg == BAR_LAST);
`else
            wire noc_rst = rst || load;
`endif
            // placement: router of each core (flat, core k at [8k +: 8])
            reg [NCORES*8-1:0] place_reg;
`ifndef SYNTHESIS
            reg [7:0] place_mem [0:NCORES-1];
            reg [8*512-1:0] memdir;
            reg [8*600-1:0] fname;
            integer k;
            initial begin
                if (!$value$plusargs("NEUROEMU_MEMDIR=%s", memdir)) memdir = ".";
            end
`endif
            always @(posedge clk) begin
                if (rst) begin
                    for (k = 0; k < NCORES; k = k + 1) place_reg[k*8 +: 8] <= k[7:0];
`ifndef SYNTHESIS
                end else if (load) begin
                    $sformat(fname, "%0s/p%0d/noc_place.mem", memdir, load_prog);
                    $readmemh(fname, place_mem);
                    for (k = 0; k < NCORES; k = k + 1) place_reg[k*8 +: 8] <= place_mem[k];
`endif
                end
            end

            wire [NCORES-1:0]    ej_valid, inj_valid, inj_ready;
            wire [NCORES*8-1:0]  inj_dst;
            wire [NCORES*PW-1:0] ej_data, inj_data;
            wire                 mesh_empty;
            wire [255:0] inj_ready_x = {{(256 - NCORES){1'b0}}, inj_ready};   // indexed by an 8-bit router
            wire [255:0] ej_valid_x = {{(256 - NCORES){1'b0}}, ej_valid};
            for (g = 0; g < NCORES; g = g + 1) begin : g_port
                localparam [7:0] R = g;
                wire [7:0] at = place_reg[g*8 +: 8];                          // core g's router
                // router g's local input: the core placed there
                reg inj_v, v_c;
                reg [7:0] inj_d, d_c;
                reg [PW-1:0] inj_p, p_c;
                integer c;
                always @* begin                  // into *_c, then assigned once (no intermediate values)
                    v_c = 1'b0; d_c = 8'd0; p_c = {PW{1'b0}};
                    for (c = 0; c < NCORES; c = c + 1)
                        if (place_reg[c*8 +: 8] == R) begin
                            v_c = out_valid[c];
                            d_c = place_reg[out_core[c*8 +: 8]*8 +: 8];
                            p_c = {c[7:0], out_axon[c*AXON_AW +: AXON_AW]};
                        end
                    inj_v = v_c; inj_d = d_c; inj_p = p_c;
                end
                assign inj_valid[g] = inj_v;
                assign inj_dst[g*8 +: 8] = inj_d;
                assign inj_data[g*PW +: PW] = inj_p;
                assign out_ready[g] = inj_ready_x[at];
                // core g's event FIFO: router place[g]'s local output
                assign core_in_valid[g] = ej_valid_x[at];
                assign core_in_axon[g*AXON_AW +: AXON_AW] = ej_data[at*PW +: AXON_AW];
            end
            mesh #(
                .W(MESH_W), .H(MESH_H), .PW(PW), .DEPTH(NOC_DEPTH), .LATENCY(NOC_LATENCY)
            ) u_mesh (
                .clk(clk), .rst(noc_rst),
                .inj_valid(inj_valid), .inj_dst(inj_dst), .inj_data(inj_data), .inj_ready(inj_ready),
                .host_valid(hq_offer), .host_dst(place_reg[hq_head[AXON_AW +: 8]*8 +: 8]),
                .host_data({HOST_SRC, hq_head[AXON_AW-1:0]}),
                .host_ready(hq_ready), .ej_valid(ej_valid), .ej_data(ej_data), .empty(mesh_empty)
            );
            assign net_empty = mesh_empty && (hq_cnt_reg == {(HOST_AW + 1){1'b0}});

            // the arrival port: packets written into the cores' FIFOs at an edge arrive in the next cycle
            wire [NCORES*24-1:0] arr_pkt;               // per core: {axon, source}
            for (g = 0; g < NCORES; g = g + 1) begin : g_arr
                wire [7:0] at = place_reg[g*8 +: 8];
                wire [31:0] axon32 = {{(32 - AXON_AW){1'b0}}, ej_data[at*PW +: AXON_AW]};
                wire unused_ok = &{1'b0, axon32[31:16]};
                assign arr_pkt[g*24 +: 24] = {axon32[15:0], ej_data[at*PW + AXON_AW +: 8]};
            end
            reg [33+25*NCORES-1:0] arr_reg;
            always @(posedge clk) begin
                if (rst || load) arr_reg <= {(33 + 25 * NCORES){1'b0}};
                else if (core_in_valid != {NCORES{1'b0}}) arr_reg <= {arr_pkt, cyc_next, core_in_valid, !arr_reg[0]};
            end
            assign arr = arr_reg;
        end
    endgenerate

    assign busy = (state_reg != T_IDLE);
    assign step_cycles = last_reg;
    assign total_cycles = total_reg;
    assign steps_run = steps_reg;
    assign dbg_data = ({24'd0, dbg_core} < NCORES_W) ? core_dbg[dbg_core * DBG_W +: DBG_W] : {DBG_W{1'b0}};

    wire unused_ok = &{1'b0, host_axon};

endmodule

`default_nettype wire
