defmodule Cluster.Strategy.Epmdx do
  @moduledoc """
  A libcluster strategy driven by the local epmdx daemon: no polling.

  epmdx daemons share their hosts' registrations (peer sync), so the daemon
  on this host knows every node of the cluster.  This strategy subscribes to
  it with the WATCH request (see `epmdxctl(1)`): the daemon sends its whole
  table, then each change the moment it learns it.  The strategy connects
  to every matching node of the table, to each new one as it registers
  anywhere in the cluster, and disconnects from each one that leaves (its
  node stopped, or its daemon expired).  There is no interval: nothing is
  asked again until the daemon says something changed.

      config :libcluster,
        topologies: [
          epmdx: [
            strategy: Cluster.Strategy.Epmdx,
            config: [names: ["myapp*"]]
          ]
        ]

  ## Configuration

    * `:address` - where the daemon listens, an IP tuple or a host name
      (default `{127, 0, 0, 1}`).  The daemon answers WATCH to local
      clients only.
    * `:port` - the daemon's port (default: the node's own port mapper
      port, that is the `-epmd_port` argument, else `ERL_EPMD_PORT`, else
      4369).
    * `:names` - a list of glob patterns (`*` any run of characters, `?`
      one character, anything else literal); only the nodes that match one
      are connected.  A pattern with an `@` is matched against the whole
      node name (`"web*@db1"`), one without against the part before the
      `@` (`"web*"`).  Default: every node.
    * `:hidden` - also connect to nodes registered with the port mapper
      as hidden (node type 72: C nodes, made with erl_interface or
      jinterface).  Default `false`.  Erlang and Elixir nodes register as
      normal (77) even with `--hidden`: keep remote shells and release
      `rpc` nodes out with `:names` (`"myapp*"` does not match
      `rem-1a2b-myapp` or `rpc-1a2b-myapp`).
    * `:timeout` - milliseconds allowed to connect to the daemon and to
      receive its table (default 5000).
    * `:retry` - milliseconds before trying again to connect to a node of
      the table that could not be connected, or that went down while still
      in the table; `false` never tries again (default 5000).  This only
      repeats the connect, never a question to the daemon, and only while
      such a node exists.

  ## Behaviour

  The node's own entry is never connected.  When the WATCH connection
  closes or fails (the daemon restarted or was upgraded, or closed a
  subscriber that fell behind with `! overflow`), the strategy opens it
  again after a bounded backoff (0.1 s, doubling, at most 10 s), reads the
  table anew and disconnects the nodes that left in between.  While the
  watch is down, connections are left as they are.

  A daemon that is not epmdx (stock epmd closes the connection on a
  request it does not know, and so on STATUS too) is logged as an error
  saying so, and asked again every minute; the strategy does not crash.

  The node names come from the daemon: each is `name@host`, where `host`
  is the `[sync] hostname` of the daemon the node registered with.  Set it
  to what the nodes put after their `@`, and make that host name resolve
  for the nodes (DNS, `/etc/hosts`, an `ERL_INETRC` file, or the
  `epmdx_epmd` module).  A node is disconnected when its entry leaves
  the table, also when that is because its daemon stopped being heard
  (its `ttl` passed) although the node itself still answers.

  Node names become atoms, and atoms are never freed: only the names that
  match `:names`, and that the distribution takes for node names (letters,
  digits, `-` and `_` before the `@`), are turned into atoms.  As with any
  libcluster strategy, a cluster whose nodes keep taking new names grows
  the atom table; restrict `:names` on shared hosts.

  This module uses libcluster's public API only (`Cluster.Strategy` and
  `Cluster.Strategy.State`), and compiles unchanged with libcluster 3.x.
  """

  use GenServer
  @behaviour Cluster.Strategy

  require Logger

  alias Cluster.Strategy.State

  @watch_request <<0, 1, 206>>
  @status_request <<0, 1, 200>>
  @max_line 4096
  @active_lines 100
  @default_port 4369
  @default_timeout 5_000
  @default_retry 5_000
  @backoff_min 100
  @backoff_max 10_000
  @backoff_reset_ms 10_000
  @not_epmdx_retry 60_000
  @type_hidden 72

  defguardp is_hex(c) when c in ?0..?9 or c in ?a..?f or c in ?A..?F

  @impl Cluster.Strategy
  def start_link([%State{} = state]) do
    GenServer.start_link(__MODULE__, [state])
  end

  @impl GenServer
  def init([%State{config: config} = state]) do
    meta = %{
      address: address(Keyword.get(config, :address, {127, 0, 0, 1})),
      port: Keyword.get_lazy(config, :port, &epmd_port/0),
      timeout: Keyword.get(config, :timeout, @default_timeout),
      retry: Keyword.get(config, :retry, @default_retry),
      hidden: Keyword.get(config, :hidden, false),
      patterns: compile_patterns(Keyword.get(config, :names, :all)),
      self: Atom.to_string(Node.self()),
      sock: nil,
      phase: :down,
      got_line: false,
      reason: nil,
      pending: %{},
      nodes: %{},
      backoff: @backoff_min,
      live_since: nil,
      retry_timer: nil
    }

    try do
      :net_kernel.monitor_nodes(true)
    catch
      _, _ -> :ok
    end

    {:ok, %State{state | meta: meta}, {:continue, :watch}}
  end

  @impl GenServer
  def handle_continue(:watch, state), do: {:noreply, watch(state)}

  @impl GenServer
  def handle_info(:watch, %State{meta: %{sock: nil}} = state) do
    {:noreply, watch(state)}
  end

  def handle_info({:tcp, sock, data}, %State{meta: %{sock: sock}} = state) do
    state = put_meta(state, got_line: true)
    {:noreply, line(fields(data), state)}
  end

  def handle_info({:tcp_passive, sock}, %State{meta: %{sock: sock}} = state) do
    # An error here means the socket is closing: tcp_closed follows.
    _ = :inet.setopts(sock, active: @active_lines)
    {:noreply, state}
  end

  def handle_info({:tcp_closed, sock}, %State{meta: %{sock: sock}} = state) do
    {:noreply, lost(state, :closed)}
  end

  def handle_info({:tcp_error, sock, why}, %State{meta: %{sock: sock}} = state) do
    :gen_tcp.close(sock)
    {:noreply, lost(state, why)}
  end

  # epmdx sends its table at once: a daemon that sends no "=" within the
  # timeout is not one to wait for.
  def handle_info({:table_timeout, sock}, %State{meta: %{sock: sock, phase: :table}} = state) do
    :gen_tcp.close(sock)
    {:noreply, lost(state, :timeout)}
  end

  def handle_info(:retry, %State{meta: meta} = state) do
    state = put_meta(state, retry_timer: nil)
    {:noreply, connect(state, Map.values(meta.nodes))}
  end

  def handle_info({:nodedown, node}, %State{meta: meta} = state) do
    if Map.has_key?(meta.nodes, Atom.to_string(node)) do
      {:noreply, schedule_retry(state)}
    else
      {:noreply, state}
    end
  end

  def handle_info(_msg, state), do: {:noreply, state}

  # ------------------------------------------------------------ the watch

  # Open WATCH; on failure, try again after the backoff.
  defp watch(%State{meta: meta} = state) do
    opts = [
      :binary,
      active: false,
      packet: :line,
      packet_size: @max_line,
      buffer: 2 * @max_line
    ]

    with {:ok, sock} <- :gen_tcp.connect(meta.address, meta.port, opts, meta.timeout),
         :ok <- send_watch(sock) do
      Process.send_after(self(), {:table_timeout, sock}, meta.timeout)

      put_meta(state,
        sock: sock,
        phase: :table,
        got_line: false,
        reason: nil,
        pending: %{}
      )
    else
      {:error, why} ->
        warn(state, "cannot watch the epmdx daemon at #{where(meta)}: #{format(why)}")
        reconnect_later(state)
    end
  end

  defp send_watch(sock) do
    with :ok <- :gen_tcp.send(sock, @watch_request),
         :ok <- :inet.setopts(sock, active: @active_lines) do
      :ok
    else
      {:error, _} = error ->
        :gen_tcp.close(sock)
        error
    end
  end

  # The watch closed or failed.  Without a single line, ask STATUS, whose
  # reply epmdx never leaves empty, to tell stock epmd from epmdx.
  defp lost(%State{meta: meta} = state, why) do
    state = put_meta(state, sock: nil, phase: :down)

    cond do
      meta.got_line and meta.reason == nil and why == :closed ->
        info(state, "the epmdx daemon closed the watch; opening it again")
        reconnect_later(state)

      meta.got_line and meta.reason == nil ->
        warn(state, "the epmdx watch failed (#{format(why)}); opening it again")
        reconnect_later(state)

      meta.got_line ->
        warn(state, "the epmdx daemon closed the watch: #{meta.reason}; opening it again")
        reconnect_later(state)

      epmdx?(meta) == false ->
        error(
          state,
          "the daemon at #{where(meta)} is not epmdx (stock epmd?), or does not " <>
            "take this node for a local client: it closed the WATCH and STATUS " <>
            "requests without a reply; asking again in #{div(@not_epmdx_retry, 1000)} s"
        )

        Process.send_after(self(), :watch, @not_epmdx_retry)
        state

      true ->
        warn(state, "the daemon at #{where(meta)} gave WATCH no answer (#{format(why)})")
        reconnect_later(state)
    end
  end

  # true: the daemon answers STATUS; false: it closed it unanswered;
  # nil: it cannot be asked.
  defp epmdx?(meta) do
    opts = [:binary, active: false, packet: :raw]

    case :gen_tcp.connect(meta.address, meta.port, opts, meta.timeout) do
      {:ok, sock} ->
        reply =
          with :ok <- :gen_tcp.send(sock, @status_request) do
            :gen_tcp.recv(sock, 0, meta.timeout)
          end

        :gen_tcp.close(sock)

        case reply do
          {:ok, _} -> true
          {:error, :closed} -> false
          {:error, _} -> nil
        end

      {:error, _} ->
        nil
    end
  end

  defp reconnect_later(%State{meta: meta} = state) do
    backoff =
      case meta.live_since do
        nil ->
          meta.backoff

        t ->
          if now() - t >= @backoff_reset_ms, do: @backoff_min, else: meta.backoff
      end

    Process.send_after(self(), :watch, backoff)
    put_meta(state, backoff: min(2 * backoff, @backoff_max), live_since: nil)
  end

  # ---------------------------------------------------------------- lines

  defp fields(data) do
    data
    |> String.trim_trailing("\n")
    |> :binary.split("\t", [:global])
  end

  defp line(["+", name, host, _port, type | _], %State{meta: meta} = state) do
    case entry(name, host, type, meta) do
      {key, node} when meta.phase == :table ->
        put_meta(state, pending: Map.put(meta.pending, key, node))

      {key, node} ->
        state = put_meta(state, nodes: Map.put(meta.nodes, key, node))
        connect(state, [node])

      nil ->
        line(["-", name, host], state)
    end
  end

  defp line(["-", name, host | _], %State{meta: meta} = state) do
    key = unescape(name) <> "@" <> host

    cond do
      meta.phase == :table ->
        put_meta(state, pending: Map.delete(meta.pending, key))

      Map.has_key?(meta.nodes, key) ->
        node = Map.fetch!(meta.nodes, key)
        state = put_meta(state, nodes: Map.delete(meta.nodes, key))
        disconnect(state, [node])

      true ->
        state
    end
  end

  # The table is complete: disconnect what left while the watch was down,
  # connect to the rest.
  defp line(["="], %State{meta: %{phase: :table} = meta} = state) do
    gone = for {key, node} <- meta.nodes, not Map.has_key?(meta.pending, key), do: node

    state =
      put_meta(state,
        phase: :live,
        nodes: meta.pending,
        pending: %{},
        live_since: now()
      )

    state = if gone == [], do: state, else: disconnect(state, gone)
    connect(state, Map.values(meta.pending))
  end

  defp line(["!", reason | _], state) do
    put_meta(state, reason: "! " <> reason)
  end

  defp line(_unknown, state), do: state

  # {"name@host", :"name@host"} for an entry to connect, else nil.  The
  # atom is made only for a name that matches and that the distribution
  # takes for a node name (ERTS: the part before the @ made of letters,
  # digits, - and _; no @ in the host).
  defp entry(name, host, type, meta) do
    name = unescape(name)
    key = name <> "@" <> host

    if key != meta.self and (meta.hidden or type != Integer.to_string(@type_hidden)) and
         String.match?(name, ~r/\A[A-Za-z0-9_-]+\z/) and host != "" and
         String.valid?(host) and not String.match?(host, ~r/[@\x00-\x1f\x7f]/) and
         String.length(key) <= 255 and matches?(meta.patterns, name, key) do
      {key, String.to_atom(key)}
    end
  end

  # Undo the daemon's \xHH escapes (control bytes, DEL, backslash).
  defp unescape(name), do: unescape(name, [])

  defp unescape(<<?\\, ?x, h, l, rest::binary>>, acc) when is_hex(h) and is_hex(l) do
    unescape(rest, [acc, String.to_integer(<<h, l>>, 16)])
  end

  defp unescape(<<c, rest::binary>>, acc), do: unescape(rest, [acc, c])
  defp unescape(<<>>, acc), do: IO.iodata_to_binary(acc)

  # -------------------------------------------------------------- patterns

  defp compile_patterns(:all), do: :all

  defp compile_patterns(list) when is_list(list) do
    for p <- list do
      p = to_string(p)
      {String.contains?(p, "@"), glob(p)}
    end
  end

  defp compile_patterns(other) do
    raise ArgumentError, "names must be a list of patterns, got: #{inspect(other)}"
  end

  defp glob(pattern) do
    source =
      for <<c::utf8 <- pattern>>, into: "" do
        case c do
          ?* -> ".*"
          ?? -> "."
          c -> Regex.escape(<<c::utf8>>)
        end
      end

    Regex.compile!("\\A" <> source <> "\\z", "su")
  end

  defp matches?(:all, _name, _key), do: true

  defp matches?(patterns, name, key) do
    Enum.any?(patterns, fn
      {true, re} -> Regex.match?(re, key)
      {false, re} -> Regex.match?(re, name)
    end)
  end

  # ------------------------------------------------- connect and disconnect

  defp connect(state, []), do: state

  defp connect(%State{} = state, nodes) do
    case Cluster.Strategy.connect_nodes(state.topology, state.connect, state.list_nodes, nodes) do
      :ok -> state
      {:error, _bad} -> schedule_retry(state)
    end
  end

  defp disconnect(%State{} = state, nodes) do
    Cluster.Strategy.disconnect_nodes(state.topology, state.disconnect, state.list_nodes, nodes)
    state
  end

  defp schedule_retry(%State{meta: %{retry_timer: nil, retry: ms}} = state)
       when is_integer(ms) and ms >= 0 do
    put_meta(state, retry_timer: Process.send_after(self(), :retry, ms))
  end

  defp schedule_retry(state), do: state

  # --------------------------------------------------------------- helpers

  defp put_meta(%State{meta: meta} = state, kv) do
    %State{state | meta: Enum.into(kv, meta)}
  end

  # The port the node's own port mapper client uses.
  defp epmd_port do
    case :init.get_argument(:epmd_port) do
      {:ok, [[p | _] | _]} -> to_port(p)
      _ -> to_port(System.get_env("ERL_EPMD_PORT", ""))
    end
  end

  defp to_port(s) do
    case Integer.parse(String.trim(to_string(s))) do
      {p, ""} when p > 0 and p < 65536 -> p
      _ -> @default_port
    end
  end

  defp address(a) when is_binary(a) do
    case :inet.parse_address(String.to_charlist(a)) do
      {:ok, ip} -> ip
      {:error, _} -> String.to_charlist(a)
    end
  end

  defp address(a), do: a

  defp where(%{address: a, port: p}) when is_tuple(a), do: "#{:inet.ntoa(a)}:#{p}"
  defp where(%{address: a, port: p}), do: "#{a}:#{p}"

  defp format(why) when is_binary(why), do: why

  defp format(why) do
    case :inet.format_error(why) do
      ~c"unknown POSIX error" when is_atom(why) -> Atom.to_string(why)
      ~c"unknown POSIX error" -> inspect(why)
      text -> to_string(text)
    end
  end

  defp now, do: System.monotonic_time(:millisecond)

  defp info(%State{topology: t}, msg), do: Logger.info("[libcluster:#{t}] #{msg}")
  defp warn(%State{topology: t}, msg), do: Logger.warning("[libcluster:#{t}] #{msg}")
  defp error(%State{topology: t}, msg), do: Logger.error("[libcluster:#{t}] #{msg}")
end
