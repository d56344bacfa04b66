import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();

/** Creates return at once: what is left is the engine's, the host's and the program's own cost. */
const instant: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: `${inputs.name}-${Date.now()}`, outs: inputs };
  },
};

class Instant extends pulumi.dynamic.Resource {
  constructor(name: string, props: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) {
    super(instant, name, { ...props, name }, opts, "bench", "Instant");
  }
}

// The shape of a GameServerFleet: a component, its parts side by side, a roster after them.
const component = new pulumi.ComponentResource("bench:index:Fleet", "bench");
const parts = Array.from(
  { length: config.requireNumber("parts") },
  (_, i) => new Instant(`bench-servers-${i + 1}`, {}, { parent: component }),
);
const roster = new Instant("bench-roster", { parts: parts.map((p) => p.id) }, { parent: component });

export const readyAt = roster.id;
