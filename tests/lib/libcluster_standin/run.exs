# run.exs: start Cluster.Strategy.Epmdx (compiled with the stand-in of
# libcluster, see lib.sh) as libcluster's Cluster.Supervisor would, once per
# topology, then log node events until killed.
#
#   STANDIN_TOPOLOGIES  an Elixir keyword list, topology => strategy config,
#                       e.g. [epmdx: [names: ["b*"]]]
#   NODES_OUT           a file: "started" once every strategy runs, then
#                       "nodeup|nodedown NODE [CONNECTED NODES...]" lines;
#                       NODES_OUT.ms the same events as "UNIXMS EVENT NODE"
#
# The stand-in appends its calls to LIBCLUSTER_STANDIN_LOG.
out = System.fetch_env!("NODES_OUT")
{topologies, _} = Code.eval_string(System.fetch_env!("STANDIN_TOPOLOGIES"))
:ok = :net_kernel.monitor_nodes(true)

for {topology, config} <- topologies do
  state = %Cluster.Strategy.State{
    topology: topology,
    connect: {:net_kernel, :connect_node, []},
    disconnect: {:erlang, :disconnect_node, []},
    list_nodes: {:erlang, :nodes, [:connected]},
    config: config
  }

  {:ok, _pid} = Cluster.Strategy.Epmdx.start_link([state])
end

File.write!(out, "started\n", [:append])

loop = fn loop ->
  receive do
    {event, node} when event in [:nodeup, :nodedown] ->
      list = Node.list() |> Enum.map(&to_string/1) |> Enum.sort() |> Enum.join(" ")
      File.write!(out, "#{event} #{node} [#{list}]\n", [:append])
      File.write!(out <> ".ms", "#{System.os_time(:millisecond)} #{event} #{node}\n", [:append])
      loop.(loop)
  end
end

loop.(loop)
