// chip_top: NCORES cores (a 2 x 2 mesh by default), a fixed-latency packet network, the host
// spike ports, the barrier and the cycle counters of a barrier-synchronous timestep.
//
// Model: emulator/engine (per timestep: deliver -> update on every core) and
// emulator/engine/accounting.py::step_cycles: a timestep lasts
//     max over cores (deliver + update cycles) + BARRIER
// cycles. `step` starts every core in the same cycle; when all are done the barrier runs for
// BARRIER cycles (the first one is the cycle in which the last core is seen done), then `busy`
// falls and step_cycles holds the timestep's length.
//
// Network: a core's packet is registered for one cycle (the link), then written into the input
// FIFO of its destination core; every FIFO has a write port per core plus one for the host, so
// packets never wait and spike values and phase cycles do not depend on the network. It stands
// in for the 5-port XY router until that model (emulator/router) exists; BARRIER >= 2 makes sure
// the link is empty when a timestep ends.
//
// Host ports: spike input = packets (host_core, host_axon) written while idle, consumed by the
// next timestep's deliver phase; spike output = one (valid, neuron) pulse per core per spike.
`timescale 1ns / 1ps
`default_nettype none

module chip_top #(
    parameter integer NCORES = 4,           // cores (mesh position of core k: k % width, k / width)
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
    parameter integer HAS_ADAPT = 1,        // adaptive-threshold hardware in every neuron unit
    parameter integer HAS_DUAL = 1          // separate inhibitory current in every neuron unit
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
    // debug read port of core dbg_core (see core.v)
    input  wire [7:0]                    dbg_core,
    input  wire                          dbg_sel,
    input  wire [15:0]                   dbg_addr,
    output wire [127:0]                  dbg_data
);

    localparam integer NW = NCORES + 1;     // FIFO write ports: every core's link and the host
    localparam integer DBG_W = 128;

    initial begin
        if (NCORES < 1 || NCORES > 255 || BARRIER < 2 || BARRIER > 65535 || AXON_AW > 16) begin
            $display("ERROR: chip_top %m: illegal parameters (1 <= NCORES <= 255, 2 <= BARRIER, AXON_AW <= 16)");
            $finish;
        end
    end

    // ------------------------------------------------------------------ cores and links
    wire [NCORES-1:0]           core_done;
    wire [NCORES-1:0]           out_valid;
    wire [NCORES*8-1:0]         out_core;
    wire [NCORES*AXON_AW-1:0]   out_axon;
    wire [NCORES*DBG_W-1:0]     core_dbg;
    reg  [NCORES-1:0]           lnk_valid_reg;
    reg  [NCORES*8-1:0]         lnk_core_reg;
    reg  [NCORES*AXON_AW-1:0]   lnk_axon_reg;

    localparam [1:0] T_IDLE = 2'd0, T_RUN = 2'd1, T_BAR = 2'd2;
    reg [1:0] state_reg, state_next;
    wire start = (state_reg == T_IDLE) && step;

    genvar g, s;
    generate
        for (g = 0; g < NCORES; g = g + 1) begin : g_core
            wire [NW-1:0] in_valid;
            wire [NW*AXON_AW-1:0] in_axon;
            for (s = 0; s < NCORES; s = s + 1) begin : g_src
                assign in_valid[s] = lnk_valid_reg[s] && (lnk_core_reg[s*8 +: 8] == g);
                assign in_axon[s*AXON_AW +: AXON_AW] = lnk_axon_reg[s*AXON_AW +: AXON_AW];
            end
            assign in_valid[NCORES] = host_valid && (host_core == g);
            assign in_axon[NCORES*AXON_AW +: AXON_AW] = host_axon[AXON_AW-1:0];

            core #(
                .CORE_ID(g), .NEURON_AW(NEURON_AW), .AXON_AW(AXON_AW), .SYN_AW(SYN_AW), .OUT_AW(OUT_AW),
                .RING_BITS(RING_BITS), .FIFO_AW(FIFO_AW), .NW(NW), .CORE_BITS(8),
                .C_AXON_EVENT(C_AXON_EVENT), .C_SYNOP(C_SYNOP), .C_NEURON_UPDATE(C_NEURON_UPDATE),
                .C_SPIKE_OUT(C_SPIKE_OUT), .HAS_ADAPT(HAS_ADAPT), .HAS_DUAL(HAS_DUAL), .DBG_W(DBG_W)
            ) u_core (
                .clk(clk), .rst(rst), .load(load), .load_prog(load_prog), .start(start), .done(core_done[g]),
                .in_valid(in_valid), .in_axon(in_axon),
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
                if (&core_done) begin state_next = T_BAR; bar_next = 16'd1; end   // barrier cycle 1
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
            bar_reg <= 16'd0; lnk_valid_reg <= {NCORES{1'b0}}; lnk_core_reg <= {(NCORES * 8){1'b0}};
            lnk_axon_reg <= {(NCORES * AXON_AW){1'b0}};
        end else begin
            state_reg <= state_next; cyc_reg <= cyc_next; last_reg <= last_next; total_reg <= total_next;
            steps_reg <= steps_next; bar_reg <= bar_next;
            lnk_valid_reg <= out_valid; lnk_core_reg <= out_core; lnk_axon_reg <= out_axon;
        end
    end

    assign busy = (state_reg != T_IDLE);
    assign step_cycles = last_reg;
    assign total_cycles = total_reg;
    assign steps_run = steps_reg;
    assign dbg_data = ({24'd0, dbg_core} < NCORES_W) ? core_dbg[dbg_core * DBG_W +: DBG_W] : {DBG_W{1'b0}};

    wire unused_ok = &{1'b0, host_axon};

endmodule

`default_nettype wire
