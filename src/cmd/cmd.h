/* cmd.h - the subcommands of sundial.  Each takes the arguments after its
 * name (argv[0] is the subcommand) and returns the process exit status. */
#ifndef SUNDIAL_CMD_CMD_H
#define SUNDIAL_CMD_CMD_H

int cmd_query(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_traffic(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_snmp(int argc, char **argv);
int cmd_noise(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_outage(int argc, char **argv);
int cmd_dnssec(int argc, char **argv);
int cmd_atlas(int argc, char **argv);
int cmd_stats(int argc, char **argv);

#endif
