// core: one neuromorphic core as a sequential datapath with the cycle costs of the chip YAML.
//
// Model: emulator/engine/kernels.py (deliver -> update of one timestep) and the cycle model
// emulator/engine/accounting.py::phase_cycles, per core and timestep:
//     deliver cycles = C_AXON_EVENT * input-axon events + C_SYNOP * synaptic ops
//     update cycles  = C_NEURON_UPDATE * neurons        + C_SPIKE_OUT * packets sent
// Every operation is one FSM state held for exactly its cost in cycles (sub_reg counts), doing
// its work on the last one, so the phase counters equal the model with no overhead cycles.
//
// Timestep, started by `start` while idle (done high):
//   deliver: the input-axon events queued before the start (packets of the previous update and
//            host packets) are popped one by one; each reads its synapse row (C_AXON_EVENT) and
//            adds w << (6 + exp) of each synapse (C_SYNOP) into ring slot (t + delay) of its target
//   update:  every neuron consumes and clears ring slot t and steps the neuron unit
//            (C_NEURON_UPDATE); a spike sends one packet per output-axon entry (C_SPIKE_OUT)
//   learn:   (HAS_LEARN, and only when the core has plastic rows or learning neurons) the learning
//            unit (learning_unit.v) steps the traces and, on epoch boundaries, rewrites the weight
//            field of plastic synapse words in place; its costs (C_TRACE_UPDATE, C_LEARN_SYNAPSE,
//            C_LEARN_EPOCH) give accounting.py::learn_cycles exactly
//   then done rises and t advances. Packets that arrive during a timestep wait for the next one.
//
// Memories (async read, LUT-RAM style; one write port each) are loaded by $readmemh from the
// files emulator/bridge/memfiles.py writes (layouts there and below, LSB first). The `load`
// pulse (simulation only) reloads them from <+NEUROEMU_MEMDIR>/p<load_prog>/core<CORE_ID>_*.mem,
// clears the accumulator ring and resets the registers, so one simulation runs many programs.
`timescale 1ns / 1ps
`default_nettype none

module core #(
    parameter integer CORE_ID = 0,          // index of this core: names its memory files core<CORE_ID>_*.mem
    parameter integer NEURON_AW = 6,        // neuron address bits: 2^NEURON_AW neurons (<= 10, the target field)
    parameter integer AXON_AW = 9,          // input-axon (synapse row) address bits (<= 16)
    parameter integer SYN_AW = 12,          // synapse memory address bits (<= 16)
    parameter integer OUT_AW = 10,          // output-axon table address bits (<= 16)
    parameter integer RING_BITS = 4,        // dendritic ring of 2^RING_BITS slots: delays 0 .. 2^RING_BITS - 1
    parameter integer FIFO_AW = 10,         // input-axon event FIFO of 2^FIFO_AW entries
    parameter integer NW = 1,               // FIFO write ports: sources that can deliver a packet in one cycle
    parameter integer CORE_BITS = 8,        // width of a packet's destination core field (<= 8)
    parameter integer C_AXON_EVENT = 4,     // cycles per input-axon event (chip YAML cycles.axon_event)
    parameter integer C_SYNOP = 1,          // cycles per synaptic op (cycles.synop)
    parameter integer C_NEURON_UPDATE = 2,  // cycles per neuron update (cycles.neuron_update)
    parameter integer C_SPIKE_OUT = 2,      // cycles per packet sent (cycles.spike_out)
    parameter integer HAS_ADAPT = 1,        // adaptive-threshold hardware in the neuron unit
    parameter integer HAS_DUAL = 1,         // separate inhibitory current in the neuron unit
    parameter integer HAS_LEARN = 1,        // learning unit present (0: no learn phase, the core as before)
    parameter integer RULE_AW = 3,          // learning-rule table address bits: 2^RULE_AW rules per core
    parameter integer C_TRACE_UPDATE = 1,   // cycles per trace register update (cycles.trace_update)
    parameter integer C_LEARN_SYNAPSE = 2,  // cycles per plastic synapse update (cycles.learn_synapse)
    parameter integer C_LEARN_EPOCH = 16,   // cycles per learning epoch of the core (cycles.learn_epoch)
    parameter integer DBG_W = 128           // width of the debug read port (>= the state word, 103 bits)
) (
    input  wire                    clk,
    input  wire                    rst,          // synchronous, active high
    input  wire                    load,         // simulation only: reload program load_prog (also resets)
    input  wire [15:0]             load_prog,
    input  wire                    start,        // begin a timestep (sampled while done is high)
    output wire                    done,         // the timestep is finished (level, until the next start)
    // input-axon events: NW write ports, accepted in port order on the same edge
    input  wire [NW-1:0]           in_valid,
    input  wire [NW*AXON_AW-1:0]   in_axon,
    // packets of the update phase: destination core and its local input axon
    output wire                    out_valid,
    output wire [CORE_BITS-1:0]    out_core,
    output wire [AXON_AW-1:0]      out_axon,
    input  wire                    out_ready,    // the network takes the packet at this edge; low: the datapath waits
    // spike output port: one pulse per spike, with the local neuron index
    output wire                    spike_valid,
    output wire [NEURON_AW-1:0]    spike_id,
    // debug read port (combinational): sel 0 = neuron state word [addr], 1 = counter [addr] (8.. the
    // learning unit's), bursts from [addr]: 2 = 14 synapse weights, 3 = 8 pre-trace words of rows,
    // 4 = 5 post-trace words of neurons (learning_unit.v)
    input  wire [2:0]              dbg_sel,
    input  wire [15:0]             dbg_addr,
    output wire [DBG_W-1:0]        dbg_data
);

    // ------------------------------------------------------------------ widths and word layouts
    localparam integer U_BITS = 24;                 // fixed.U_BITS = V_BITS = ACC_BITS = TH_BITS
    localparam integer DECAY_BITS = 12;             // fixed.DECAY_BITS
    localparam integer VTH_BITS = 17;               // fixed.VTH_MANT_BITS
    localparam integer BIAS_MANT_BITS = 13;         // fixed.BIAS_MANT_BITS
    localparam integer BIAS_EXP_BITS = 3;           // fixed.BIAS_EXP_BITS
    localparam integer REF_BITS = 6;                // fixed.REFRACT_BITS
    localparam integer WEIGHT_BITS = 9;             // fixed.WEIGHT_BITS
    localparam integer DELAY_BITS = 6;              // fixed.DELAY_BITS
    localparam integer TARGET_BITS = 10;            // synapse target field of the synapse word
    localparam integer NPARAM_W = 107;              // memfiles.NPARAM_FIELDS
    localparam integer NSTATE_W = 103;              // memfiles.NSTATE_FIELDS
    localparam integer AXONW_W = 37;                // memfiles.AXON_FIELDS
    localparam integer SYN_W = 25;                  // memfiles.SYN_FIELDS
    localparam integer OUTPTR_W = 32;               // memfiles.OUTPTR_FIELDS
    localparam integer OUT_W = 24;                  // memfiles.OUT_FIELDS
    localparam integer CW = 32;                     // per-timestep counters
    localparam integer N_MAX = 1 << NEURON_AW;
    localparam integer ACC_DEPTH = 1 << (RING_BITS + NEURON_AW);
    localparam integer FIFO_DEPTH = 1 << FIFO_AW;
    localparam integer SUB_W = 8;                   // sub-cycle counter: costs up to 255
    localparam integer DBG_WN = 14;                 // synapse weights per debug read (memfiles.DBG_WEIGHTS)

    // ------------------------------------------------------------------ parameter checks
    initial begin
        if (NEURON_AW < 1 || NEURON_AW > TARGET_BITS || AXON_AW < 1 || AXON_AW > 16 || SYN_AW < 1
            || SYN_AW > 16 || OUT_AW < 1 || OUT_AW > 16 || RING_BITS < 1 || RING_BITS > DELAY_BITS
            || FIFO_AW < 1 || FIFO_AW > 16 || NW < 1 || CORE_BITS < 1 || CORE_BITS > 8
            || C_AXON_EVENT < 1 || C_AXON_EVENT >= (1 << SUB_W) || C_SYNOP < 1 || C_SYNOP >= (1 << SUB_W)
            || C_NEURON_UPDATE < 1 || C_NEURON_UPDATE >= (1 << SUB_W) || C_SPIKE_OUT < 1
            || C_SPIKE_OUT >= (1 << SUB_W) || DBG_W < NSTATE_W || DBG_W < CW || DBG_W < DBG_WN * WEIGHT_BITS
            || (HAS_LEARN != 0 && HAS_LEARN != 1)) begin
            $display("ERROR: core %m: illegal parameters (address widths, RING_BITS <= 6, costs 1..255, DBG_W >= 126, HAS_LEARN 0/1)");
            $finish;
        end
    end

    // ------------------------------------------------------------------ memories
    reg [NPARAM_W-1:0] nparam_mem [0:N_MAX-1];
    reg [NSTATE_W-1:0] nstate_mem [0:N_MAX-1];
    reg [AXONW_W-1:0]  axon_mem   [0:(1 << AXON_AW)-1];
    reg [SYN_W-1:0]    syn_mem    [0:(1 << SYN_AW)-1];
    reg [OUTPTR_W-1:0] outptr_mem [0:N_MAX-1];
    reg [OUT_W-1:0]    out_mem    [0:(1 << OUT_AW)-1];
    reg [15:0]         cfg_mem    [0:3];          // counts: neurons, input axons, synapses, output axons
    reg [U_BITS-1:0]   acc_exc    [0:ACC_DEPTH-1];   // ring slot s of neuron n at {s, n}
    reg [U_BITS-1:0]   acc_inh    [0:ACC_DEPTH-1];
    reg [AXON_AW-1:0]  fifo_mem   [0:FIFO_DEPTH-1];

    // ------------------------------------------------------------------ registers (_reg) and next values (_next)
    localparam [2:0] S_IDLE = 3'd0, S_HDR = 3'd1, S_SYN = 3'd2, S_NEU = 3'd3, S_SPK = 3'd4, S_LRN = 3'd5;

    reg [2:0]           state_reg, state_next;
    reg [SUB_W-1:0]     sub_reg, sub_next;
    reg                 done_reg, done_next;
    reg [RING_BITS-1:0] t_reg, t_next;                // timestep (mod ring): selects ring slots
    reg [FIFO_AW:0]     ev_reg, ev_next;              // events left in this deliver phase
    reg [15:0]          syn_ptr_reg, syn_ptr_next;    // synapse row being delivered
    reg [15:0]          syn_end_reg, syn_end_next;
    reg [3:0]           exp_reg, exp_next;
    reg                 port_reg, port_next;
    reg [NEURON_AW:0]   n_reg, n_next;                // neuron being updated
    reg [15:0]          out_ptr_reg, out_ptr_next;    // output axons of the neuron that spiked
    reg [15:0]          out_end_reg, out_end_next;
    reg [FIFO_AW-1:0]   rd_ptr_reg, rd_ptr_next;
    reg [FIFO_AW-1:0]   wr_ptr_reg, wr_ptr_next;
    reg [FIFO_AW:0]     count_reg, count_next;
    reg [CW-1:0]        dlv_cyc_reg, dlv_cyc_next;    // counters of the current/last timestep
    reg [CW-1:0]        upd_cyc_reg, upd_cyc_next;
    reg [CW-1:0]        n_axon_reg, n_axon_next;
    reg [CW-1:0]        n_syn_reg, n_syn_next;
    reg [CW-1:0]        n_upd_reg, n_upd_next;
    reg [CW-1:0]        n_spk_reg, n_spk_next;
    reg [CW-1:0]        n_pkt_reg, n_pkt_next;
    reg                 ovf_reg, ovf_next;            // sticky: the FIFO overflowed (events lost)

    // write strobes of the combinational process; finish: the update phase (or an empty timestep)
    // ends in this cycle; lu_go: the learn phase follows
    reg acc_we, st_we, pop, pkt_valid, spk_pulse, finish, lu_go;

    // ------------------------------------------------------------------ combinational reads
    wire [NEURON_AW:0] n_neurons = cfg_mem[0][NEURON_AW:0];
    wire [AXON_AW-1:0] head = fifo_mem[rd_ptr_reg];
    wire [AXONW_W-1:0] row = axon_mem[head];
    wire [15:0] row_start = row[15:0];
    wire [15:0] row_end = row[31:16];
    wire [SYN_W-1:0] syn = syn_mem[syn_ptr_reg[SYN_AW-1:0]];
    wire [NEURON_AW-1:0] syn_target = syn[NEURON_AW-1:0];
    wire [WEIGHT_BITS-1:0] syn_weight = syn[TARGET_BITS +: WEIGHT_BITS];
    wire [DELAY_BITS-1:0] syn_delay = syn[TARGET_BITS + WEIGHT_BITS +: DELAY_BITS];
    wire [NEURON_AW-1:0] n_addr = n_reg[NEURON_AW-1:0];
    wire [NPARAM_W-1:0] np = nparam_mem[n_addr];
    wire [NSTATE_W-1:0] ns = nstate_mem[n_addr];
    wire [OUTPTR_W-1:0] optr = outptr_mem[n_addr];
    wire [OUT_W-1:0] oent = out_mem[out_ptr_reg[OUT_AW-1:0]];

    // ring address: deliver writes slot t + delay of the target, update reads slot t of neuron n
    wire [RING_BITS-1:0] slot_dlv = t_reg + syn_delay[RING_BITS-1:0];
    wire in_deliver = (state_reg == S_SYN);
    wire [RING_BITS+NEURON_AW-1:0] acc_addr = in_deliver ? {slot_dlv, syn_target} : {t_reg, n_addr};
    wire [U_BITS-1:0] acc_exc_rd = acc_exc[acc_addr];
    wire [U_BITS-1:0] acc_inh_rd = acc_inh[acc_addr];

    // synaptic contribution w << (6 + exp); an arithmetic right shift when 6 + exp < 0
    wire signed [5:0] shift = 6'sd6 + $signed({{2{exp_reg[3]}}, exp_reg});
    wire [5:0] shift_neg = 6'd0 - shift;
    wire signed [U_BITS-1:0] w_ext = $signed({{(U_BITS - WEIGHT_BITS){syn_weight[WEIGHT_BITS-1]}}, syn_weight});
    wire [U_BITS-1:0] contrib = shift[5] ? (w_ext >>> shift_neg[4:0]) : (w_ext << shift[4:0]);
    wire [U_BITS-1:0] acc_sum = (port_reg ? acc_inh_rd : acc_exc_rd) + contrib;   // wraps: 24-bit adder

    // ------------------------------------------------------------------ the neuron unit
    wire [U_BITS-1:0] nu_u, nu_u_inh, nu_v, nu_th;
    wire [REF_BITS-1:0] nu_ref;
    wire nu_spike;
    neuron_unit #(
        .U_BITS(U_BITS), .ACC_BITS(U_BITS), .DECAY_BITS(DECAY_BITS), .VTH_BITS(VTH_BITS), .VTH_SHIFT(6),
        .BIAS_MANT_BITS(BIAS_MANT_BITS), .BIAS_EXP_BITS(BIAS_EXP_BITS), .REF_BITS(REF_BITS),
        .HAS_ADAPT(HAS_ADAPT), .HAS_DUAL(HAS_DUAL)
    ) u_neuron (
        .a_i(acc_exc_rd), .a_inh_i(acc_inh_rd),
        .u_i(ns[23:0]), .u_inh_i(ns[47:24]), .v_i(ns[71:48]), .th_i(ns[95:72]), .ref_i(ns[101:96]),
        .du_i(np[11:0]), .du_inh_i(np[23:12]), .dv_i(np[35:24]), .vth_i(np[52:36]),
        .bias_mant_i(np[65:53]), .bias_exp_i(np[68:66]), .refractory_i(np[74:69]), .dth_i(np[86:75]),
        .th_inc_i(np[103:87]), .flags_i(np[106:104]),
        .u_o(nu_u), .u_inh_o(nu_u_inh), .v_o(nu_v), .th_o(nu_th), .ref_o(nu_ref), .spike_o(nu_spike)
    );
    wire [NSTATE_W-1:0] ns_new = {nu_spike, nu_ref, nu_th, nu_v, nu_u_inh, nu_u};

    // ------------------------------------------------------------------ the learning unit
    // its own read ports on the row table, the neuron state (spike flag) and the synapse memory,
    // and a write port on the synapse memory's weight field (used only in the learn phase)
    wire lu_has_work, lu_last, lu_syn_we;
    wire [AXON_AW-1:0] lu_row_addr;
    wire [NEURON_AW-1:0] lu_neu_addr;
    wire [SYN_AW-1:0] lu_syn_addr, lu_syn_waddr;
    wire [WEIGHT_BITS-1:0] lu_syn_wdata;
    wire [8*15-1:0] lu_dbg_xtr;
    wire [5*22-1:0] lu_dbg_ytr;
    wire [CW-1:0] lu_dbg_ctr;
    wire [AXONW_W-1:0] lu_row = axon_mem[lu_row_addr];
    wire [SYN_W-1:0] lu_syn = syn_mem[lu_syn_addr];
    wire [SYN_W-1:0] lu_wsyn = syn_mem[lu_syn_waddr];
    wire [NSTATE_W-1:0] lu_ns = nstate_mem[lu_neu_addr];
    generate
        if (HAS_LEARN != 0) begin : g_learn
            learning_unit #(
                .CORE_ID(CORE_ID), .NEURON_AW(NEURON_AW), .AXON_AW(AXON_AW), .SYN_AW(SYN_AW), .RULE_AW(RULE_AW),
                .C_TRACE_UPDATE(C_TRACE_UPDATE), .C_LEARN_SYNAPSE(C_LEARN_SYNAPSE), .C_LEARN_EPOCH(C_LEARN_EPOCH)
            ) u_learn (
                .clk(clk), .rst(rst), .load(load), .load_prog(load_prog), .has_work(lu_has_work), .go(lu_go),
                .last(lu_last), .pre_valid(pop), .pre_row(head),
                .row_addr(lu_row_addr), .row_start(lu_row[15:0]), .row_end(lu_row[31:16]),
                .neu_addr(lu_neu_addr), .neu_spiked(lu_ns[NSTATE_W-1]),
                .syn_addr(lu_syn_addr), .syn_target(lu_syn[NEURON_AW-1:0]),
                .syn_weight(lu_syn[TARGET_BITS +: WEIGHT_BITS]), .syn_we(lu_syn_we), .syn_waddr(lu_syn_waddr),
                .syn_wdata(lu_syn_wdata),
                .dbg_addr(dbg_addr), .dbg_xtr(lu_dbg_xtr), .dbg_ytr(lu_dbg_ytr), .dbg_ctr(lu_dbg_ctr)
            );
        end else begin : g_no_learn
            assign lu_has_work = 1'b0;
            assign lu_last = 1'b0;
            assign lu_syn_we = 1'b0;
            assign lu_row_addr = {AXON_AW{1'b0}};
            assign lu_neu_addr = {NEURON_AW{1'b0}};
            assign lu_syn_addr = {SYN_AW{1'b0}};
            assign lu_syn_waddr = {SYN_AW{1'b0}};
            assign lu_syn_wdata = {WEIGHT_BITS{1'b0}};
            assign lu_dbg_xtr = {(8 * 15){1'b0}};
            assign lu_dbg_ytr = {(5 * 22){1'b0}};
            assign lu_dbg_ctr = {CW{1'b0}};
        end
    endgenerate

    // ------------------------------------------------------------------ FIFO write offsets (port order)
`ifdef MUTANT_FIFO_DROP
    // planted defect for the mutation test: the last port's (the host's) write is lost when the
    // FIFO already holds 3 events
    wire [NW-1:0] in_take = in_valid & ~({1'b1, {(NW - 1){1'b0}}} & {NW{count_reg == 3}});
`else
    wire [NW-1:0] in_take = in_valid;
`endif
    reg [NW*(FIFO_AW+1)-1:0] wr_off;
    reg [FIFO_AW+1:0] n_in;
    integer i;
    always @* begin
        n_in = {(FIFO_AW + 2){1'b0}};
        for (i = 0; i < NW; i = i + 1) begin
            wr_off[i*(FIFO_AW+1) +: FIFO_AW+1] = n_in[FIFO_AW:0];
            n_in = n_in + {{(FIFO_AW + 1){1'b0}}, in_take[i]};
        end
    end

    // ------------------------------------------------------------------ next-state process
    // the sub-cycle on which an operation does its work: its last one
    localparam integer LAST_HDR_I = C_AXON_EVENT - 1;
    localparam integer LAST_SYN_I = C_SYNOP - 1;
    localparam integer LAST_NEU_I = C_NEURON_UPDATE - 1;
    localparam integer LAST_SPK_I = C_SPIKE_OUT - 1;
    localparam [SUB_W-1:0] LAST_HDR = LAST_HDR_I[SUB_W-1:0];
    localparam [SUB_W-1:0] LAST_SYN = LAST_SYN_I[SUB_W-1:0];
    localparam [SUB_W-1:0] LAST_NEU = LAST_NEU_I[SUB_W-1:0];
    localparam [SUB_W-1:0] LAST_SPK = LAST_SPK_I[SUB_W-1:0];
    localparam [FIFO_AW+1:0] DEPTH_W = FIFO_DEPTH[FIFO_AW+1:0];
    wire sub_last_hdr = (sub_reg == LAST_HDR);
    wire sub_last_syn = (sub_reg == LAST_SYN);
    wire sub_last_neu = (sub_reg == LAST_NEU);
    wire sub_last_spk = (sub_reg == LAST_SPK);
    wire [SUB_W-1:0] sub_inc = sub_reg + 1'b1;
    wire last_neuron = (n_reg + 1'b1 == n_neurons);

    always @* begin
        state_next = state_reg; sub_next = sub_reg; done_next = done_reg; t_next = t_reg;
        ev_next = ev_reg; syn_ptr_next = syn_ptr_reg; syn_end_next = syn_end_reg; exp_next = exp_reg;
        port_next = port_reg; n_next = n_reg; out_ptr_next = out_ptr_reg; out_end_next = out_end_reg;
        dlv_cyc_next = dlv_cyc_reg; upd_cyc_next = upd_cyc_reg; n_axon_next = n_axon_reg;
        n_syn_next = n_syn_reg; n_upd_next = n_upd_reg; n_spk_next = n_spk_reg; n_pkt_next = n_pkt_reg;
        acc_we = 1'b0; st_we = 1'b0; pop = 1'b0; pkt_valid = 1'b0; spk_pulse = 1'b0; finish = 1'b0; lu_go = 1'b0;

        case (state_reg)
            S_IDLE: begin
                if (start) begin
                    done_next = 1'b0; sub_next = {SUB_W{1'b0}}; ev_next = count_reg; n_next = {(NEURON_AW + 1){1'b0}};
                    dlv_cyc_next = {CW{1'b0}}; upd_cyc_next = {CW{1'b0}}; n_axon_next = {CW{1'b0}};
                    n_syn_next = {CW{1'b0}}; n_upd_next = {CW{1'b0}}; n_spk_next = {CW{1'b0}}; n_pkt_next = {CW{1'b0}};
                    if (count_reg != {(FIFO_AW + 1){1'b0}}) state_next = S_HDR;
                    else if (n_neurons != {(NEURON_AW + 1){1'b0}}) state_next = S_NEU;
                    else finish = 1'b1;                             // nothing to do: zero cycles
                end
            end
            S_HDR: begin                                      // read the synapse row of one event
                dlv_cyc_next = dlv_cyc_reg + 1'b1;
                sub_next = sub_inc;
                if (sub_last_hdr) begin
                    sub_next = {SUB_W{1'b0}}; pop = 1'b1; ev_next = ev_reg - 1'b1; n_axon_next = n_axon_reg + 1'b1;
                    syn_ptr_next = row_start; syn_end_next = row_end; exp_next = row[35:32]; port_next = row[36];
                    if (row_start != row_end) state_next = S_SYN;
                    else if (ev_reg != {{FIFO_AW{1'b0}}, 1'b1}) state_next = S_HDR;
                    else if (n_neurons != {(NEURON_AW + 1){1'b0}}) state_next = S_NEU;
                    else finish = 1'b1;
                end
            end
            S_SYN: begin                                      // one synaptic op: ring += w << (6 + exp)
                dlv_cyc_next = dlv_cyc_reg + 1'b1;
                sub_next = sub_inc;
                if (sub_last_syn) begin
                    sub_next = {SUB_W{1'b0}}; acc_we = 1'b1; n_syn_next = n_syn_reg + 1'b1;
                    syn_ptr_next = syn_ptr_reg + 1'b1;
                    if (syn_ptr_reg + 1'b1 == syn_end_reg) begin
                        if (ev_reg != {(FIFO_AW + 1){1'b0}}) state_next = S_HDR;
                        else if (n_neurons != {(NEURON_AW + 1){1'b0}}) state_next = S_NEU;
                        else finish = 1'b1;
                    end
                end
            end
            S_NEU: begin                                      // one neuron update, ring slot t consumed
                upd_cyc_next = upd_cyc_reg + 1'b1;
                sub_next = sub_inc;
                if (sub_last_neu) begin
                    sub_next = {SUB_W{1'b0}}; st_we = 1'b1; n_upd_next = n_upd_reg + 1'b1;
                    spk_pulse = nu_spike;
                    if (nu_spike) n_spk_next = n_spk_reg + 1'b1;
                    if (nu_spike && optr[15:0] != optr[31:16]) begin
                        state_next = S_SPK; out_ptr_next = optr[15:0]; out_end_next = optr[31:16];
                    end else if (!last_neuron) n_next = n_reg + 1'b1;
                    else finish = 1'b1;
                end
            end
            S_SPK: if (sub_last_spk && !out_ready) begin     // no network credit: hold the packet, nothing advances
                pkt_valid = 1'b1;
            end else begin                                    // one packet per output axon
                upd_cyc_next = upd_cyc_reg + 1'b1;
                sub_next = sub_inc;
                if (sub_last_spk) begin
                    sub_next = {SUB_W{1'b0}}; pkt_valid = 1'b1; n_pkt_next = n_pkt_reg + 1'b1;
                    out_ptr_next = out_ptr_reg + 1'b1;
                    if (out_ptr_reg + 1'b1 == out_end_reg) begin
                        if (!last_neuron) begin state_next = S_NEU; n_next = n_reg + 1'b1; end
                        else finish = 1'b1;
                    end
                end
            end
            S_LRN: begin                                      // the learning unit runs; its last cycle ends the step
                if (lu_last) begin state_next = S_IDLE; done_next = 1'b1; t_next = t_reg + 1'b1; end
            end
            default: state_next = S_IDLE;
        endcase
        if (finish) begin
            if (lu_has_work) begin state_next = S_LRN; lu_go = 1'b1; end
            else begin state_next = S_IDLE; done_next = 1'b1; t_next = t_reg + 1'b1; end
        end

        // input-axon FIFO: this edge's writes (port order) and the deliver phase's pop
        wr_ptr_next = wr_ptr_reg + n_in[FIFO_AW-1:0];
        rd_ptr_next = rd_ptr_reg + {{(FIFO_AW - 1){1'b0}}, pop};
        count_next = count_reg + n_in[FIFO_AW:0] - {{FIFO_AW{1'b0}}, pop};
        ovf_next = ovf_reg || ({1'b0, count_reg} + n_in > DEPTH_W + {{(FIFO_AW + 1){1'b0}}, pop});
    end

    // ------------------------------------------------------------------ register process
`ifndef SYNTHESIS
    reg [8*512-1:0] memdir;
    reg [8*600-1:0] fname;
    initial begin
        if (!$value$plusargs("NEUROEMU_MEMDIR=%s", memdir)) memdir = ".";
    end
    // last address a table file fills (a file of an empty table holds one zero word)
    function integer last_word(input [15:0] count);
        last_word = (count == 16'd0) ? 0 : {16'd0, count} - 1;
    endfunction
`endif
    integer k;
    always @(posedge clk) begin
        if (rst || load) begin
            state_reg <= S_IDLE; sub_reg <= {SUB_W{1'b0}}; done_reg <= 1'b1; t_reg <= {RING_BITS{1'b0}};
            ev_reg <= {(FIFO_AW + 1){1'b0}}; syn_ptr_reg <= 16'd0; syn_end_reg <= 16'd0; exp_reg <= 4'd0;
            port_reg <= 1'b0; n_reg <= {(NEURON_AW + 1){1'b0}}; out_ptr_reg <= 16'd0; out_end_reg <= 16'd0;
            rd_ptr_reg <= {FIFO_AW{1'b0}}; wr_ptr_reg <= {FIFO_AW{1'b0}}; count_reg <= {(FIFO_AW + 1){1'b0}};
            dlv_cyc_reg <= {CW{1'b0}}; upd_cyc_reg <= {CW{1'b0}}; n_axon_reg <= {CW{1'b0}};
            n_syn_reg <= {CW{1'b0}}; n_upd_reg <= {CW{1'b0}}; n_spk_reg <= {CW{1'b0}};
            n_pkt_reg <= {CW{1'b0}}; ovf_reg <= 1'b0;
`ifndef SYNTHESIS
            if (load) begin
                // the counts first: each table is read over exactly the words its file holds
                $sformat(fname, "%0s/p%0d/core%0d_cfg.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, cfg_mem);
                $sformat(fname, "%0s/p%0d/core%0d_nparam.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, nparam_mem, 0, last_word(cfg_mem[0]));
                $sformat(fname, "%0s/p%0d/core%0d_nstate.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, nstate_mem, 0, last_word(cfg_mem[0]));
                $sformat(fname, "%0s/p%0d/core%0d_outptr.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, outptr_mem, 0, last_word(cfg_mem[0]));
                $sformat(fname, "%0s/p%0d/core%0d_axon.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, axon_mem, 0, last_word(cfg_mem[1]));
                $sformat(fname, "%0s/p%0d/core%0d_syn.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, syn_mem, 0, last_word(cfg_mem[2]));
                $sformat(fname, "%0s/p%0d/core%0d_out.mem", memdir, load_prog, CORE_ID);
                $readmemh(fname, out_mem, 0, last_word(cfg_mem[3]));
                for (k = 0; k < ACC_DEPTH; k = k + 1) begin
                    acc_exc[k] <= {U_BITS{1'b0}};
                    acc_inh[k] <= {U_BITS{1'b0}};
                end
            end
`endif
        end else begin
            state_reg <= state_next; sub_reg <= sub_next; done_reg <= done_next; t_reg <= t_next;
            ev_reg <= ev_next; syn_ptr_reg <= syn_ptr_next; syn_end_reg <= syn_end_next; exp_reg <= exp_next;
            port_reg <= port_next; n_reg <= n_next; out_ptr_reg <= out_ptr_next; out_end_reg <= out_end_next;
            rd_ptr_reg <= rd_ptr_next; wr_ptr_reg <= wr_ptr_next; count_reg <= count_next;
            dlv_cyc_reg <= dlv_cyc_next; upd_cyc_reg <= upd_cyc_next; n_axon_reg <= n_axon_next;
            n_syn_reg <= n_syn_next; n_upd_reg <= n_upd_next; n_spk_reg <= n_spk_next;
            n_pkt_reg <= n_pkt_next; ovf_reg <= ovf_next;
            // memory write ports
            for (k = 0; k < NW; k = k + 1)
                if (in_take[k])
                    fifo_mem[wr_ptr_reg + wr_off[k*(FIFO_AW+1) +: FIFO_AW]] <= in_axon[k*AXON_AW +: AXON_AW];
            if (lu_syn_we)            // learning: the weight field of a plastic synapse, in place
                syn_mem[lu_syn_waddr] <= {lu_wsyn[SYN_W-1:TARGET_BITS + WEIGHT_BITS], lu_syn_wdata,
                                          lu_wsyn[TARGET_BITS-1:0]};
            if (acc_we && !port_reg) acc_exc[acc_addr] <= acc_sum;
            if (acc_we && port_reg) acc_inh[acc_addr] <= acc_sum;
            if (st_we) begin
                nstate_mem[n_addr] <= ns_new;
                acc_exc[acc_addr] <= {U_BITS{1'b0}};     // the consumed slot is cleared
                acc_inh[acc_addr] <= {U_BITS{1'b0}};
            end
        end
    end

    // ------------------------------------------------------------------ outputs
    assign done = done_reg;
    assign out_valid = pkt_valid;
    assign out_core = oent[16 +: CORE_BITS];
    assign out_axon = oent[AXON_AW-1:0];
    assign spike_valid = spk_pulse;
    assign spike_id = n_addr;

    reg [CW-1:0] counter_rd;
    always @* begin
        case (dbg_addr[2:0])
            3'd0: counter_rd = dlv_cyc_reg;
            3'd1: counter_rd = upd_cyc_reg;
            3'd2: counter_rd = n_axon_reg;
            3'd3: counter_rd = n_syn_reg;
            3'd4: counter_rd = n_upd_reg;
            3'd5: counter_rd = n_spk_reg;
            3'd6: counter_rd = n_pkt_reg;
            default: counter_rd = {{(CW - 1){1'b0}}, ovf_reg};
        endcase
    end
    wire [NSTATE_W-1:0] dbg_ns = nstate_mem[dbg_addr[NEURON_AW-1:0]];
    wire [DBG_WN*WEIGHT_BITS-1:0] dbg_wts;          // weights of synapses dbg_addr .. dbg_addr + 13
    genvar gd;
    generate
        for (gd = 0; gd < DBG_WN; gd = gd + 1) begin : g_dbg_w
            localparam [16:0] OFF = gd;
            wire [16:0] wa = {1'b0, dbg_addr} + OFF;                 // past the core's synapses: 0
            wire [SYN_W-1:0] sw = syn_mem[wa[SYN_AW-1:0]];
            assign dbg_wts[gd*WEIGHT_BITS +: WEIGHT_BITS] = (wa < {1'b0, cfg_mem[2]}) ? sw[TARGET_BITS +: WEIGHT_BITS]
                                                                                      : {WEIGHT_BITS{1'b0}};
            wire unused_sw = &{1'b0, sw[TARGET_BITS-1:0], sw[SYN_W-1:TARGET_BITS + WEIGHT_BITS]};
        end
    endgenerate
    wire [CW-1:0] dbg_ctr = dbg_addr[3] ? lu_dbg_ctr : counter_rd;
    assign dbg_data = (dbg_sel == 3'd1) ? {{(DBG_W - CW){1'b0}}, dbg_ctr}
                    : (dbg_sel == 3'd2) ? {{(DBG_W - DBG_WN * WEIGHT_BITS){1'b0}}, dbg_wts}
                    : (dbg_sel == 3'd3) ? {{(DBG_W - 8 * 15){1'b0}}, lu_dbg_xtr}
                    : (dbg_sel == 3'd4) ? {{(DBG_W - 5 * 22){1'b0}}, lu_dbg_ytr}
                    : {{(DBG_W - NSTATE_W){1'b0}}, dbg_ns};

    // fields wider than this build uses (a smaller NEURON_AW, RING_BITS, AXON_AW), and the learning
    // unit's ports in a build without it
    wire unused_ok = &{1'b0, dbg_addr, syn, syn_delay, ns[NSTATE_W-1], oent, shift_neg, lu_row, lu_syn, lu_ns, lu_go, lu_wsyn};

endmodule

`default_nettype wire
