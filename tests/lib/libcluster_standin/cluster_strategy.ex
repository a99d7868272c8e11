# A stand-in for libcluster 3.x's public strategy API, for the tests only
# (libcluster cannot be installed here): Cluster.Strategy (the behaviour,
# its __using__, connect_nodes/4 and disconnect_nodes/4) and
# Cluster.Strategy.State, with libcluster's semantics (lib/strategy/
# strategy.ex and state.ex of bitwalker/libcluster 3.5): connect_nodes
# skips the nodes list_nodes gives and the node itself, then calls the
# connect MFA with the node appended to its arguments, and answers :ok or
# {:error, [{node, result}]}; disconnect_nodes calls the disconnect MFA for
# the nodes list_nodes gives only.  Telemetry is left out.
#
# Each call is also appended, one line, to the file named by
# LIBCLUSTER_STANDIN_LOG (if set), for the test to read:
#   connect_nodes TOPOLOGY NODE...
#   connect NODE true|false|ignored
#   disconnect_nodes TOPOLOGY NODE...
#   disconnect NODE RESULT
defmodule Cluster.Strategy do
  @moduledoc false

  defmacro __using__(_) do
    quote do
      @behaviour Cluster.Strategy

      @impl true
      def child_spec(args) do
        %{id: __MODULE__, type: :worker, start: {__MODULE__, :start_link, [args]}}
      end

      defoverridable child_spec: 1
    end
  end

  @type topology :: atom
  @type bad_nodes :: [{node, reason :: term}]
  @type mfa_tuple :: {module, atom, [term]}
  @type strategy_args :: [Cluster.Strategy.State.t()]

  @callback child_spec(strategy_args) :: Supervisor.child_spec()
  @callback start_link(strategy_args) :: {:ok, pid} | :ignore | {:error, reason :: term}

  @spec connect_nodes(topology, mfa_tuple, mfa_tuple, [atom()]) :: :ok | {:error, bad_nodes}
  def connect_nodes(topology, {_, _, _} = connect, {_, _, _} = list_nodes, nodes)
      when is_list(nodes) do
    record(["connect_nodes", topology | nodes])
    {mod, fun, args} = connect
    {lmod, lfun, largs} = list_nodes
    me = Node.self()
    need = (nodes -- apply(lmod, lfun, largs)) |> Enum.uniq() |> Enum.reject(&(&1 == me))

    bad =
      Enum.reduce(need, [], fn n, acc ->
        result = apply(mod, fun, args ++ [n])
        record(["connect", n, result])

        case result do
          true -> acc
          false -> [{n, false} | acc]
          :ignored -> [{n, :ignored} | acc]
        end
      end)

    if bad == [], do: :ok, else: {:error, bad}
  end

  @spec disconnect_nodes(topology, mfa_tuple, mfa_tuple, [atom()]) :: :ok | {:error, bad_nodes}
  def disconnect_nodes(topology, {_, _, _} = disconnect, {_, _, _} = list_nodes, nodes)
      when is_list(nodes) do
    record(["disconnect_nodes", topology | nodes])
    {mod, fun, args} = disconnect
    {lmod, lfun, largs} = list_nodes
    me = Node.self()
    listed = apply(lmod, lfun, largs)
    need = nodes |> Enum.filter(&(&1 in listed)) |> Enum.uniq() |> Enum.reject(&(&1 == me))

    bad =
      Enum.reduce(need, [], fn n, acc ->
        result = apply(mod, fun, args ++ [n])
        record(["disconnect", n, result])

        case result do
          r when r in [true, false, :ignored] -> acc
          r -> [{n, r} | acc]
        end
      end)

    if bad == [], do: :ok, else: {:error, bad}
  end

  defp record(words) do
    case System.get_env("LIBCLUSTER_STANDIN_LOG") do
      nil -> :ok
      path -> File.write!(path, Enum.map_join(words, " ", &to_string/1) <> "\n", [:append])
    end
  end
end

defmodule Cluster.Strategy.State do
  @moduledoc false

  @type t :: %__MODULE__{
          topology: atom,
          connect: {module, atom, [term]},
          disconnect: {module, atom, [term]},
          list_nodes: {module, atom, [:connected] | [:connected | [any]]},
          meta: term,
          config: [{atom, term}]
        }

  defstruct topology: nil,
            connect: nil,
            disconnect: nil,
            list_nodes: nil,
            meta: nil,
            config: []
end
